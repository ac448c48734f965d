package io.understudy.scheduler.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.understudy.scheduler.api.StatusServer;
import io.understudy.scheduler.bmc.PowerReading;
import io.understudy.scheduler.config.DetectionConfig;
import io.understudy.scheduler.detect.Detection;
import io.understudy.scheduler.detect.Detector;
import io.understudy.scheduler.detect.HostState;
import io.understudy.scheduler.history.JsonLinesHistory;
import java.net.InetSocketAddress;
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
        try (StatusServer server = StatusServer.start(new InetSocketAddress("127.0.0.1", 0),
                new JsonLinesHistory(dir.resolve("history.jsonl")), detection, "controller-a", false)) {
            ServingDetection served = ServingDetection.fetch(
                    Optional.of(InetSocketAddress.createUnresolved("127.0.0.1", server.port())));
            assertThat(served.problem()).isEmpty();
            assertThat(served.now()).containsExactly("compute1");
            assertThat(served.host("compute2")).hasValueSatisfying(h -> assertThat(h.state()).isEqualTo(HostState.OK));
            assertThat(served.host("compute9")).isEmpty();
        }
        ServingDetection none = ServingDetection.fetch(Optional.empty());
        assertThat(none.now()).isEmpty();
        assertThat(none.problem()).contains("unknown: no status API configured (listen)");
    }
}
