package io.understudy.agent.cli;

import com.google.inject.Guice;
import com.google.inject.Injector;
import com.google.inject.Module;
import com.google.inject.ProvisionException;
import io.understudy.agent.config.AgentConfig;
import io.understudy.agent.config.ConfigReader;
import io.understudy.agent.server.AgentServer;
import io.understudy.agent.server.ConfigModule;
import io.understudy.agent.server.HttpModule;
import io.understudy.agent.server.LibvirtModule;
import io.understudy.agent.server.MetricsModule;
import io.understudy.agent.server.ReplicationModule;
import io.understudy.agent.server.StoreModule;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code understudy-agent serve --config FILE}: the per-node daemon. */
@Command(name = "serve", description = "Run the agent daemon.")
final class ServeCommand implements Callable<Integer> {

    private static final Logger LOG = LoggerFactory.getLogger(ServeCommand.class);

    @Option(names = "--config", paramLabel = "FILE", required = true, description = "the agent's YAML configuration")
    Path config;

    /** {@code type} from the agent's modules; what fails while building it becomes the IOException it was. */
    static <T> T instance(Class<T> type, Module... modules) throws IOException {
        return instance(Guice.createInjector(modules), type);
    }

    /** {@code type} from an injector of the agent's modules, failures as {@link #instance(Class, Module...)}. */
    static <T> T instance(Injector injector, Class<T> type) throws IOException {
        try {
            return injector.getInstance(type);
        } catch (ProvisionException e) {
            Throwable cause = e.getCause() != null ? e.getCause() : e;
            throw cause instanceof IOException io ? io : new IOException(cause.getMessage(), cause);
        }
    }

    @Override
    public Integer call() throws Exception {
        AgentConfig cfg = ConfigReader.read(config);
        AgentServer server = instance(AgentServer.class, new ConfigModule(cfg, Clock.systemUTC()), new StoreModule(),
                new LibvirtModule(), new ReplicationModule(), new MetricsModule(), new HttpModule());
        int port = server.start();
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            LOG.info("understudy-agent {} stopping", cfg.host());
            server.close();
            stopped.countDown();
        }, "understudy-agent-stop"));
        LOG.info("understudy-agent {} listening on {}:{} ({} auth), data in {}", cfg.host(),
                cfg.listen().getHostString(), port, cfg.auth().mode().name().toLowerCase(), cfg.dataDir());
        stopped.await();
        return Main.EXIT_OK;
    }
}
