package io.understudy.scheduler.round;

import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.wireMockConfig;
import static org.assertj.core.api.Assertions.assertThat;

import com.github.tomakehurst.wiremock.WireMockServer;
import io.understudy.scheduler.config.DetectionConfig;
import io.understudy.scheduler.decide.Decision;
import io.understudy.scheduler.decide.Outcome;
import io.understudy.scheduler.detect.Detection;
import io.understudy.scheduler.detect.Detector;
import io.understudy.scheduler.detect.NovaReports;
import io.understudy.scheduler.evaluate.Breaches;
import io.understudy.scheduler.rules.MoveAction;
import io.understudy.scheduler.stats.AgentReader;
import io.understudy.scheduler.stats.NovaReader;
import io.understudy.scheduler.testing.FakeAgents;
import io.understudy.scheduler.testing.FakeNova;
import io.understudy.scheduler.testing.RecordingMoves;
import io.understudy.scheduler.testing.TestMetrics;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A round told of detection's verdicts: the VM of a FAILED host fails over at once — through
 * the same decisions and move executor as the rules, skipping {@code for:} and its cooldown —
 * while the VM of a SUSPECT host stays.
 */
class DetectedFailureRoundTest {

    private static final UUID ON_FAILED = UUID.fromString("7d0c2a5e-0000-4000-8000-00000000000a");
    private static final UUID ON_SUSPECT = UUID.fromString("7d0c2a5e-0000-4000-8000-00000000000b");

    private final WireMockServer wireMock = new WireMockServer(wireMockConfig().dynamicPort());
    private final FakeAgents agents = new FakeAgents(Duration.ofSeconds(2));
    private final ExecutorService pool = Executors.newFixedThreadPool(4);

    @TempDir
    Path dir;

    @AfterEach
    void stop() {
        wireMock.stop();
        agents.close();
        pool.shutdownNow();
    }

    @Test
    void aFailedHostsVmFailsOverAtOnceWhileASuspectHostsVmStays() throws Exception {
        wireMock.start();
        // Nova has not noticed anything: every compute is up as far as it knows.
        new FakeNova(wireMock).compute("compute1", true).compute("compute2", true).compute("compute3", true)
                .protectedServer(ON_FAILED, "db", "compute1")
                .protectedServer(ON_SUSPECT, "web", "compute2").serve();
        agents.answer("compute1", FakeAgents.stats("compute1", 5, 500, Map.of()))
                .answer("compute2", FakeAgents.stats("compute2", 5, 500, Map.of()))
                .answer("compute3", FakeAgents.stats("compute3", 5, 500, Map.of(ON_FAILED, 3.0, ON_SUSPECT, 3.0)))
                .mode("compute1", FakeAgents.Mode.ERROR).mode("compute2", FakeAgents.Mode.ERROR);

        // compute1: agent silent and nova-compute silent; compute2: agent silent, nova-compute reporting.
        Clock clock = Clock.systemUTC();
        Detection detection = new Detection(new Detector(DetectionConfig.DEFAULT), clock);
        Instant now = clock.instant();
        detection.novaRead(new NovaReports(now, Map.of("compute1", Optional.of(now.minusSeconds(40)),
                "compute2", Optional.of(now.minusSeconds(2)), "compute3", Optional.of(now.minusSeconds(1)))));
        Map<String, Optional<String>> cycle = Map.of("compute1", Optional.of("connection refused"),
                "compute2", Optional.of("connection refused"), "compute3", Optional.empty());
        detection.probed(cycle);
        detection.probed(cycle);
        assertThat(detection.probed(cycle)).containsExactly("compute1");
        assertThat(detection.report()).extracting(r -> r.host() + " " + r.state())
                .containsExactly("compute1 FAILED", "compute2 SUSPECT", "compute3 OK");

        Path rules = Files.writeString(dir.resolve("rules.yaml"), """
                policy: {cooldown: 1h}
                rules:
                  - {parameter: agent_reachable, equals: true, for: 30s}
                """);
        RecordingMoves moves = new RecordingMoves();
        EvaluationRound round = new EvaluationRound(new NovaReader(FakeNova.client(wireMock, Duration.ofSeconds(4)), 100),
                new AgentReader(agents.directory(), TestMetrics.fresh(), pool), new RulesSource(Optional.of(rules)), detection, moves, clock);
        // Both VMs were moved by a rule a minute ago: in their cooldown.
        RoundState before = new RoundState(Breaches.NONE,
                Map.of(ON_FAILED, now.minusSeconds(60), ON_SUSPECT, now.minusSeconds(60)));
        RoundResult r = round.run(before, true, false);

        Decision failover = r.decisions().stream().filter(d -> d.vm().equals(ON_FAILED)).findFirst().orElseThrow();
        assertThat(failover.outcome()).isEqualTo(Outcome.MOVE);
        assertThat(failover.action()).contains(MoveAction.EVACUATE);
        assertThat(failover.target()).contains("compute3");
        assertThat(failover.reasons()).contains("host compute1 failed", "primary is down");
        assertThat(moves.executed()).extracting(Decision::vm).containsExactly(ON_FAILED);

        Decision stays = r.decisions().stream().filter(d -> d.vm().equals(ON_SUSPECT)).findFirst().orElseThrow();
        assertThat(stays.outcome()).as("suspect only: its breach waits for its for:").isEqualTo(Outcome.STAY);
        assertThat(r.evaluation().orElseThrow().host("compute2").orElseThrow().failed()).isFalse();
        assertThat(r.evaluation().orElseThrow().host("compute1").orElseThrow().sample().problems())
                .as("a failed host's agent is not asked in the round").anyMatch(p -> p.contains("not asked"));
    }
}
