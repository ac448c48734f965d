package io.understudy.scheduler.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.understudy.scheduler.api.StatusServer;
import io.understudy.scheduler.bmc.PowerReading;
import io.understudy.scheduler.config.ConfigLoader;
import io.understudy.scheduler.config.ControllerConfig;
import io.understudy.scheduler.config.DetectionConfig;
import io.understudy.scheduler.detect.Detection;
import io.understudy.scheduler.detect.Detector;
import io.understudy.scheduler.detect.HostState;
import io.understudy.scheduler.history.JsonLinesHistory;
import io.understudy.scheduler.testing.LocalStatusApi;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What status and plan learn of the serving controller's detection: its failed hosts, or why nothing. */
class ServingDetectionTest {

    @TempDir
    Path dir;

    @Test
    void theServingControllersFailedHostsOrWhyTheyAreUnknown() {
        Detection detection = new Detection(new Detector(DetectionConfig.DEFAULT), Clock.systemUTC());
        // Missed probes with a BMC saying off: failed without Nova.
        for (int i = 0; i < 3; i++) {
            detection.probed(Map.of("compute1", Optional.of("timed out"), "compute2", Optional.empty()));
        }
        detection.powerRead("compute1", new PowerReading(PowerReading.Power.OFF, ""));
        try (StatusServer server = LocalStatusApi.start(new JsonLinesHistory(dir.resolve("history.jsonl")), detection,
                "controller-a")) {
            ServingDetection served = ServingDetection.fetch(config(server.port(), LocalStatusApi.TOKEN));
            assertThat(served.problem()).isEmpty();
            assertThat(served.now()).containsExactly("compute1");
            assertThat(served.host("compute2")).hasValueSatisfying(h -> assertThat(h.state()).isEqualTo(HostState.OK));
            assertThat(served.host("compute9")).isEmpty();

            ServingDetection refused = ServingDetection.fetch(config(server.port(), "another-clusters-token-16"));
            assertThat(refused.now()).isEmpty();
            assertThat(refused.problem()).contains("unknown: http://127.0.0.1:" + server.port() + "/v1/detection: "
                    + "HTTP 401: the controller refused this configuration's cluster token (agents.auth)");
        }
        ServingDetection none = ServingDetection.fetch(ControllerConfig.defaults());
        assertThat(none.now()).isEmpty();
        assertThat(none.problem()).contains("unknown: no status API configured (listen)");
    }

    private ControllerConfig config(int port, String token) {
        return new ConfigLoader().parse("listen: 127.0.0.1:" + port + "\nagents: {auth: {clusterToken: " + token + "}}\n",
                "controller.yaml", dir);
    }
}
