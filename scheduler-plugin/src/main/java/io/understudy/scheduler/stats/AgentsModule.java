package io.understudy.scheduler.stats;

import static java.util.Objects.requireNonNull;

import com.google.inject.AbstractModule;
import com.google.inject.Provides;
import com.google.inject.Singleton;
import io.understudy.agent.api.AgentClient;
import io.understudy.agent.api.Tls;
import io.understudy.scheduler.config.AgentsConfig;
import io.understudy.scheduler.metrics.ControllerMetrics;
import java.io.IOException;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLContext;

/** The agents: where each answers, with the cluster token or mutual TLS, and the pool that asks them all. */
public final class AgentsModule extends AbstractModule {

    private final AgentsConfig config;

    public AgentsModule(AgentsConfig config) {
        this.config = requireNonNull(config, "config is null");
    }

    @Provides
    @Singleton
    AgentDirectory directory() {
        return directory(config, config.timeout());
    }

    /** A client per host, made on first use, with the configured credentials and this TIMEOUT. */
    public static AgentDirectory directory(AgentsConfig config, Duration timeout) {
        Optional<String> token = config.readClusterToken();
        SSLContext ssl = config.tls().map(files -> {
            try {
                return Tls.context(files.certificate(), files.key(), files.ca());
            } catch (IOException e) {
                throw new IllegalArgumentException("agents.tls: " + e.getMessage(), e);
            }
        }).orElse(null);
        ConcurrentHashMap<String, AgentClient> clients = new ConcurrentHashMap<>();
        return host -> clients.computeIfAbsent(host, h -> new AgentClient(config.endpoint(h), token.orElse(null), ssl,
                timeout));
    }

    @Provides
    @Singleton
    AgentReader reader(AgentDirectory directory, ControllerMetrics metrics) {
        AtomicInteger n = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(config.parallelism(), r -> {
            Thread t = new Thread(r, "agent-reader-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        return new AgentReader(directory, metrics, pool);
    }
}
