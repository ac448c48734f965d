package io.understudy.agent.testing;

import com.google.inject.Guice;
import com.google.inject.Injector;
import io.understudy.agent.api.AgentClient;
import io.understudy.agent.api.Peer;
import io.understudy.agent.api.Protection;
import io.understudy.agent.api.Role;
import io.understudy.agent.config.AgentConfig;
import io.understudy.agent.config.ConfigReader;
import io.understudy.agent.libvirt.Hypervisor;
import io.understudy.agent.rejoin.Rejoiner;
import io.understudy.agent.replication.Replicator;
import io.understudy.agent.resources.Housekeeping;
import io.understudy.agent.server.AgentServer;
import io.understudy.agent.server.ConfigModule;
import io.understudy.agent.server.HttpModule;
import io.understudy.agent.server.LibvirtModule;
import io.understudy.agent.server.MetricsModule;
import io.understudy.agent.server.ReplicationModule;
import io.understudy.agent.server.StoreModule;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.UUID;

/**
 * An agent daemon in this JVM, wired exactly as {@code serve} wires it, from a YAML configuration
 * like an operator's: its data directory, its port on 127.0.0.1, its hypervisor.
 */
public final class TestAgent implements AutoCloseable {

    private final Injector injector;
    private final AgentServer server;
    private final URI url;
    private final String token;

    private TestAgent(Injector injector, AgentServer server, URI url, String token) {
        this.injector = injector;
        this.server = server;
        this.url = url;
        this.token = token;
    }

    /**
     * Starts an agent for {@code host} with the cluster token in {@code tokenFile}; {@code port} 0
     * picks a free one. {@code auth} replaces the token section when not null (mutual TLS).
     */
    public static TestAgent start(String host, Path dataDir, Path instancesPath, String libvirtUri, Path tokenFile,
            int port, String auth) throws IOException {
        return start(host, dataDir, instancesPath, libvirtUri, tokenFile, port, auth, "");
    }

    /** As above, with {@code more} (top-level YAML, e.g. a {@code replication:} section) added to the configuration. */
    public static TestAgent start(String host, Path dataDir, Path instancesPath, String libvirtUri, Path tokenFile,
            int port, String auth, String more) throws IOException {
        Files.createDirectories(instancesPath);
        String authSection = auth != null ? auth : "mode: token\ntokenFile: " + tokenFile;
        AgentConfig config = ConfigReader.parse("""
                host: %s
                listen: 127.0.0.1:%d
                dataDir: %s
                instancesPath: %s
                libvirt:
                  uri: %s
                auth:
                %s
                %s
                """.formatted(host, port, dataDir, instancesPath, libvirtUri, authSection.indent(2), more), host);
        Injector injector = Guice.createInjector(new ConfigModule(config, Clock.systemUTC()), new StoreModule(),
                new LibvirtModule(), new ReplicationModule(), new MetricsModule(), new HttpModule());
        AgentServer server = injector.getInstance(AgentServer.class);
        int bound = server.start();
        boolean tls = config.auth().mode() == AgentConfig.AuthMode.MTLS;
        String token = tls ? null : Files.readString(tokenFile).strip();
        return new TestAgent(injector, server, URI.create((tls ? "https" : "http") + "://127.0.0.1:" + bound + "/"),
                token);
    }

    public URI url() {
        return url;
    }

    public int port() {
        return url.getPort();
    }

    /** Makes this agent the secondary of {@code vm}, fed by a primary it never needs to reach. */
    public void secondaryOf(UUID vm) throws IOException {
        client().protect(new Protection(vm, Role.SECONDARY,
                List.of(new Peer("compute1", URI.create("http://127.0.0.1:1/"))), Duration.ofHours(1)));
    }

    /** A client with the cluster token. */
    public AgentClient client() {
        return new AgentClient(url, token, null, Duration.ofSeconds(30));
    }

    /** Stops serving and lets go of everything, as a killed agent would (nothing is flushed on the way out). */
    @Override
    public void close() throws IOException {
        server.close();
        injector.getInstance(Replicator.class).close();
        injector.getInstance(Rejoiner.class).close();
        injector.getInstance(Housekeeping.class).close();
        injector.getInstance(Hypervisor.class).close();
    }
}
