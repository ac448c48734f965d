package io.understudy.scheduler.detect;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.understudy.scheduler.config.DetectionConfig;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/** Detection as the controller sees it: one log line per change of state, never one per probe. */
class DetectionTest {

    private final ListAppender<ILoggingEvent> logged = new ListAppender<>();
    private final Logger logger = (Logger) LoggerFactory.getLogger(Detection.class);

    @BeforeEach
    void listen() {
        logged.start();
        logger.addAppender(logged);
    }

    @AfterEach
    void stopListening() {
        logger.detachAppender(logged);
    }

    @Test
    void eachChangeOfStateIsLoggedOnceAndAFailureIsAnnouncedOnce() {
        Instant t = Instant.parse("2026-11-29T09:00:00Z");
        Detection detection = new Detection(new Detector(DetectionConfig.DEFAULT), Clock.fixed(t, ZoneOffset.UTC));
        Map<String, Optional<String>> silent = Map.of("compute1", Optional.of("timed out"));
        Map<String, Optional<String>> answers = Map.of("compute1", Optional.empty());
        detection.probed(answers);
        detection.novaRead(new NovaReports(t, Map.of("compute1", Optional.of(t.minusSeconds(20)),
                "compute2", Optional.of(t))));
        assertThat(detection.probed(silent)).isEmpty();
        assertThat(detection.probed(silent)).isEmpty();
        assertThat(detection.probed(silent)).containsExactly("compute1");
        assertThat(detection.now()).containsExactly("compute1");
        for (int i = 0; i < 5; i++) {
            assertThat(detection.probed(silent)).as("already failed").isEmpty();
        }
        for (int i = 0; i < 3; i++) {
            detection.probed(answers);
        }
        assertThat(detection.now()).isEmpty();
        assertThat(logged.list).extracting(ILoggingEvent::getFormattedMessage).containsExactly(
                "host compute1: SUSPECT: agent answers; nova-compute silent for 20s (report interval 10s + margin 2s)",
                "host compute1: FAILED: agent missed 3 probes in a row (timed out); nova-compute silent for 20s "
                        + "(report interval 10s + margin 2s)",
                "host compute1: SUSPECT: agent answers; nova-compute silent for 20s (report interval 10s + margin 2s)");
        assertThat(detection.report()).singleElement().satisfies(r -> {
            assertThat(r.state()).isEqualTo(HostState.SUSPECT);
            assertThat(r.since()).isEqualTo(t);
        });
    }
}
