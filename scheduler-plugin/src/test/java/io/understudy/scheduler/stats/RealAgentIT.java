package io.understudy.scheduler.stats;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;
import static org.awaitility.Awaitility.await;

import io.understudy.agent.api.AgentClient;
import com.google.inject.Guice;
import io.understudy.agent.api.HostStats;
import io.understudy.scheduler.config.AgentsConfig;
import io.understudy.scheduler.config.ConfigLoader;
import io.understudy.scheduler.metrics.MetricsModule;
import io.understudy.scheduler.testing.TestMetrics;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The controller's agent reading against the real agent daemon ({@code understudy-agent serve},
 * libvirt's test driver): the wire records agree, over token auth and over mutual TLS through the
 * controller's own configuration and Guice wiring; a wrong token or no certificate is an
 * unreachable agent. Runs when the agent's jar has been built (a full {@code mvn verify} builds agent/node
 * first) and libvirt's library is installed; skipped otherwise.
 */
class RealAgentIT {

    private static final String TOKEN = "a-cluster-token-of-sixteen-chars";

    @TempDir
    Path dir;

    private Process agent;

    @AfterEach
    void stop() throws Exception {
        if (agent != null) {
            agent.destroy();
            agent.waitFor();
        }
    }

    /** Starts the agent daemon for HOST with this auth section; returns its port. */
    private int startAgent(String host, String auth) throws Exception {
        Path jar = Path.of(System.getProperty("understudy.agent.jar", "../agent/node/target/understudy-agent.jar"));
        assumeThat(Files.isRegularFile(jar)).as("the agent's jar " + jar + " is built").isTrue();
        assumeThat(Files.exists(Path.of("/usr/lib/x86_64-linux-gnu/libvirt.so.0"))).as("libvirt is installed").isTrue();
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        Files.createDirectories(dir.resolve("instances"));
        Files.writeString(dir.resolve("agent.yaml"), String.join("\n",
                "host: " + host, "listen: 127.0.0.1:" + port, "dataDir: " + dir.resolve("data"),
                "instancesPath: " + dir.resolve("instances"), "libvirt: {uri: 'test:///default'}", auth, ""));
        agent = new ProcessBuilder("java", "-Xmx128m", "-jar", jar.toString(), "serve", "--config",
                dir.resolve("agent.yaml").toString()).redirectErrorStream(true)
                .redirectOutput(dir.resolve("agent.log").toFile()).start();
        return port;
    }

    @Test
    void overMutualTlsAsTheAgentsDefaultIsWithTheControllersOwnWiring() throws Exception {
        Path tls = dir.resolve("tls");
        Process make = new ProcessBuilder("bash", "../devstack/tls/cluster-tls.sh", tls.toString(), "localhost",
                "controller").redirectErrorStream(true).start();
        assertThat(make.waitFor()).as(new String(make.getInputStream().readAllBytes())).isZero();
        int port = startAgent("localhost", "auth: {mode: mtls, tls: {certificate: " + tls.resolve("localhost.crt")
                + ", key: " + tls.resolve("localhost.key") + ", ca: " + tls.resolve("ca.crt") + "}}");
        Path config = dir.resolve("controller.yaml");
        Files.writeString(config, "agents:\n  port: " + port + "\n  scheme: https\n  timeout: 5s\n  tls:\n"
                + "    certificate: tls/controller.crt\n    key: tls/controller.key\n    ca: tls/ca.crt\n");
        AgentsConfig agents = new ConfigLoader().load(config).agents();
        AgentReader reader = Guice.createInjector(new AgentsModule(agents), new MetricsModule()).getInstance(AgentReader.class);
        await().atMost(Duration.ofSeconds(60)).until(() -> reader.read(List.of("localhost")).get("localhost").stats().isPresent());
        assertThat(reader.read(List.of("localhost")).get("localhost").stats().orElseThrow().host()).isEqualTo("localhost");

        // Without the controller's certificate the handshake fails: no values, never a healthy host.
        AgentsConfig bare = new AgentsConfig(port, "https", Duration.ofSeconds(5), 2, Optional.empty(), Optional.empty(),
                Optional.empty(), Map.of());
        AgentReading refused = Guice.createInjector(new AgentsModule(bare), new MetricsModule()).getInstance(AgentReader.class)
                .read(List.of("localhost")).get("localhost");
        assertThat(refused.stats()).isEmpty();
        assertThat(refused.error()).isPresent();
    }

    @Test
    void theControllerReadsTheRealAgentsHostStats() throws Exception {
        Files.writeString(dir.resolve("token"), TOKEN + "\n");
        int port = startAgent("compute1", "auth: {mode: token, tokenFile: " + dir.resolve("token") + "}");
        URI url = URI.create("http://127.0.0.1:" + port);
        AgentDirectory directory = host -> new AgentClient(url, host.equals("compute1") ? TOKEN : "wrong-token-wrong-token",
                null, Duration.ofSeconds(5));
        AgentReader reader = new AgentReader(directory, TestMetrics.fresh(), Executors.newFixedThreadPool(2));
        await().atMost(Duration.ofSeconds(60)).until(() -> reader.read(List.of("compute1")).get("compute1").stats().isPresent());

        Map<String, AgentReading> r = reader.read(List.of("compute1", "compute2"));
        HostStats stats = r.get("compute1").stats().orElseThrow();
        assertThat(stats.host()).isEqualTo("compute1");
        assertThat(stats.memoryTotalBytes()).isPositive();
        assertThat(stats.diskTotalBytes()).isPositive();
        assertThat(stats.cpuPercent()).isBetween(0.0, 100.0);
        // The same agent asked as compute2 with another token: refused, so no values.
        assertThat(r.get("compute2").error()).hasValueSatisfying(e -> assertThat(e).contains("401"));

        NovaSnapshot nova = new NovaSnapshot(List.of(), List.of(new Hypervisor("compute1", "up", 4, 0, 1024, 0, 10, 0, 0)),
                List.of(), Map.of(), 1);
        HostSample sample = Samples.merge(nova, r, java.time.Instant.now()).get(0);
        assertThat(sample.value(Parameter.AGENT_REACHABLE)).contains(Value.of(true));
        assertThat(sample.value(Parameter.DISK_FREE_GIB)).isPresent();
        assertThat(sample.value(Parameter.REPLICA_LAG_MAX)).contains(Value.of(0));
    }
}
