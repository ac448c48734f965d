package io.understudy.scheduler.detect;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;
import static org.awaitility.Awaitility.await;

import io.understudy.nova.client.NovaClient;
import io.understudy.nova.keystone.ComputeSession;
import io.understudy.scheduler.bmc.PowerChannel;
import io.understudy.scheduler.bmc.PowerReading;
import io.understudy.scheduler.config.ControllerConfig;
import io.understudy.scheduler.config.ConfigLoader;
import io.understudy.scheduler.stats.AgentsModule;
import io.understudy.scheduler.stats.NovaReader;
import io.understudy.scheduler.testing.TestMetrics;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The prober against the real agent daemon ({@code understudy-agent serve}, libvirt's test
 * driver, token auth), configured as the controller is: its health answers while it runs; once
 * it is killed the probes miss — SUSPECT while its BMC says the power is on, FAILED once the BMC
 * says off. Skipped when the agent's jar is not built.
 */
class RealAgentProbeIT {

    private static final String TOKEN = "a-cluster-token-for-the-probe-test";

    @TempDir
    Path dir;

    private Process agent;
    private Prober prober;

    @AfterEach
    void stop() throws Exception {
        if (prober != null) {
            prober.close();
        }
        if (agent != null) {
            agent.destroyForcibly().waitFor();
        }
    }

    private static int freePort() throws Exception {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    @Test
    void aRealAgentAnswersItsProbesAndOnceKilledMissesThem() throws Exception {
        Path jar = Path.of(System.getProperty("understudy.agent.jar", "../agent/node/target/understudy-agent.jar"));
        assumeThat(Files.isRegularFile(jar)).as("the agent's jar " + jar + " is built").isTrue();
        int port = freePort();
        Files.createDirectories(dir.resolve("instances"));
        Files.writeString(dir.resolve("token"), TOKEN + "\n");
        Files.writeString(dir.resolve("agent.yaml"), String.join("\n", "host: compute1",
                "listen: 127.0.0.1:" + port, "dataDir: " + dir.resolve("data"), "instancesPath: " + dir.resolve("instances"),
                "libvirt: {uri: 'test:///default'}", "auth: {mode: token, tokenFile: " + dir.resolve("token") + "}", ""));
        agent = new ProcessBuilder("java", "-Xmx128m", "-jar", jar.toString(), "serve", "--config",
                dir.resolve("agent.yaml").toString()).redirectErrorStream(true)
                .redirectOutput(dir.resolve("agent.log").toFile()).start();
        Files.writeString(dir.resolve("controller.yaml"), "agents:\n  auth: {clusterTokenFile: token}\n"
                + "  endpoints: {compute1: 'http://127.0.0.1:" + port + "'}\n"
                + "detection: {probeInterval: 300ms, probeTimeout: 250ms, missedProbes: 3}\n");
        ControllerConfig config = new ConfigLoader().load(dir.resolve("controller.yaml"));
        // No Nova here (nothing listens where it is said to be): its channel stays unknown.
        ComputeSession session = new ComputeSession("token", Instant.now().plus(Duration.ofHours(1)),
                URI.create("http://127.0.0.1:" + freePort() + "/v2.1"));
        NovaReader nova = new NovaReader(new NovaClient(() -> session, HttpClient.newHttpClient(), Duration.ofSeconds(1),
                Clock.systemUTC()), 100);
        AtomicReference<PowerReading.Power> power = new AtomicReference<>(PowerReading.Power.ON);
        PowerChannel bmc = new PowerChannel() {
            @Override
            public Set<String> hosts() {
                return Set.of("compute1");
            }

            @Override
            public Optional<PowerReading> read(String host, Duration timeout) {
                return Optional.of(new PowerReading(power.get(), ""));
            }
        };
        Detection detection = new Detection(new Detector(config.detection()), Clock.systemUTC());
        prober = new Prober(config.detection(), AgentsModule.directory(config.agents(), config.detection().probeTimeout()),
                config.agents().endpoints().keySet(), nova, bmc, detection, TestMetrics.fresh(), Clock.systemUTC(),
                Executors.newFixedThreadPool(4));
        prober.start(() -> { });
        await("the agent answers its probes").atMost(Duration.ofSeconds(60)).until(() -> detection.report().size() == 1
                && detection.report().get(0).reason().startsWith("agent answers"));
        assertThat(detection.report().get(0).state()).isEqualTo(HostState.OK);

        agent.destroyForcibly().waitFor();
        await().atMost(Duration.ofSeconds(10)).until(() -> detection.report().get(0).state() == HostState.SUSPECT);
        await().atMost(Duration.ofSeconds(5)).until(() -> detection.report().get(0).reason().contains("BMC reports power on"));
        assertThat(detection.report().get(0).reason()).startsWith("agent missed ").contains("Nova unreadable: ");
        power.set(PowerReading.Power.OFF);
        await().atMost(Duration.ofSeconds(10)).until(() -> detection.now().equals(Set.of("compute1")));
        assertThat(detection.report().get(0).reason()).endsWith("; BMC reports power off");
    }
}
