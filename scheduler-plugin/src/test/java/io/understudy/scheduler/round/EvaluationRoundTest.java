package io.understudy.scheduler.round;

import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.wireMockConfig;
import static org.assertj.core.api.Assertions.assertThat;

import com.github.tomakehurst.wiremock.WireMockServer;
import io.understudy.scheduler.decide.Decision;
import io.understudy.scheduler.decide.Outcome;
import io.understudy.scheduler.evaluate.Breaches;
import io.understudy.scheduler.history.JsonLinesHistory;
import io.understudy.scheduler.history.RoundRecord;
import io.understudy.scheduler.metrics.ControllerMetrics;
import io.understudy.scheduler.placement.Assignments;
import io.understudy.scheduler.records.FileRecords;
import io.understudy.scheduler.rules.MoveAction;
import io.understudy.scheduler.stats.AgentReader;
import io.understudy.scheduler.stats.NovaReader;
import io.understudy.scheduler.stats.Parameter;
import io.understudy.scheduler.stats.Value;
import io.understudy.scheduler.testing.FakeAgents;
import io.understudy.scheduler.testing.FakeNova;
import io.understudy.scheduler.testing.RecordingMoves;
import io.understudy.scheduler.testing.TestMetrics;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A whole round against Nova played by WireMock and agents played by in-process HTTP servers. */
class EvaluationRoundTest {

    private static final UUID VM = UUID.fromString("7d0c2a5e-0000-4000-8000-000000000001");
    private static final UUID UNPROTECTED = UUID.fromString("7d0c2a5e-0000-4000-8000-000000000002");

    private final WireMockServer wireMock = new WireMockServer(wireMockConfig().dynamicPort());
    private final FakeAgents agents = new FakeAgents(Duration.ofSeconds(2));
    private final ExecutorService pool = Executors.newFixedThreadPool(4);
    private final ControllerMetrics metrics = TestMetrics.fresh();
    private FakeNova nova;

    @TempDir
    Path dir;

    @BeforeEach
    void start() {
        wireMock.start();
        nova = new FakeNova(wireMock);
        nova.compute("compute1", true).compute("compute2", true).compute("compute3", true)
                .protectedServer(VM, "db", "compute1")
                .server(UNPROTECTED, "unprotected", "compute1", Map.of()).serve();
        agents.answer("compute1", FakeAgents.stats("compute1", 97, 500, Map.of()))
                .answer("compute2", FakeAgents.stats("compute2", 10, 500, Map.of(VM, 3.0)))
                .answer("compute3", FakeAgents.stats("compute3", 5, 500, Map.of(VM, 200.0)));
    }

    @AfterEach
    void stop() {
        wireMock.stop();
        agents.close();
        pool.shutdownNow();
    }

    private EvaluationRound round(String rules) throws Exception {
        Path file = dir.resolve("rules.yaml");
        Files.writeString(file, rules);
        return new EvaluationRound(new NovaReader(FakeNova.client(wireMock, Duration.ofSeconds(4)), 100),
                new AgentReader(agents.directory(), metrics, pool), new RulesSource(Optional.of(file)), FailedHosts.NONE,
                new RecordingMoves(), Clock.systemUTC());
    }

    /** Placement's assignments are the moves package's business, tested there. */
    private static final Assignments NO_ASSIGNMENTS = (changes, listed, interval) -> { };

    private static final String RULES = """
            policy: {maxReplicaLag: 60s}
            rules:
              - {parameter: cpu_percent, max: 90}
              - {parameter: agent_reachable, equals: true}
            """;

    /** The shared round state, as files in the test's directory. */
    private RoundStates states() {
        return new RoundStates(new FileRecords(dir));
    }

    @Test
    void aBusyPrimaryIsDecidedOntoItsFreshReplicaAndTheStaleOneIsRejected() throws Exception {
        RoundResult r = round(RULES).run(RoundState.INITIAL, true, false);
        assertThat(r.ok()).isTrue();
        assertThat(r.vms()).singleElement().satisfies(vm -> assertThat(vm.id()).isEqualTo(VM));
        Decision d = r.decisions().get(0);
        assertThat(d.outcome()).isEqualTo(Outcome.MOVE);
        assertThat(d.target()).contains("compute2");
        assertThat(d.action()).contains(MoveAction.LIVE_MIGRATE);
        assertThat(d.candidates()).filteredOn(c -> c.host().equals("compute3")).singleElement()
                .satisfies(c -> assertThat(c.rejections()).containsExactly("replica lag 200.0s > maxReplicaLag 1m"));
        assertThat(r.executions()).singleElement().asString().contains("recorded only, not executed");
        assertThat(r.next().lastMoves()).as("nothing moved, so no cooldown started").isEmpty();
        assertThat(r.nova().orElseThrow().requests()).isEqualTo(3);
    }

    @Test
    void aHostWhoseAgentIsSilentIsNotAHealthyTarget() throws Exception {
        agents.mode("compute2", FakeAgents.Mode.ERROR);
        RoundResult r = round(RULES).run(RoundState.INITIAL, true, false);
        assertThat(r.evaluation().orElseThrow().host("compute2").orElseThrow().sample().value(Parameter.AGENT_REACHABLE))
                .contains(Value.of(false));
        Decision d = r.decisions().get(0);
        assertThat(d.outcome()).isEqualTo(Outcome.NO_TARGET);
        assertThat(r.vms().get(0).replicas()).as("its replica is unknown while it is silent")
                .extracting(x -> x.host()).containsExactly("compute3");
    }

    @Test
    void whenNovaFailsTheRoundSaysSoDecidesNothingAndKeepsItsState() throws Exception {
        nova.fail("/servers/detail", 500);
        RoundState before = new RoundState(new Breaches(Map.of("compute1", Map.of("cpu_percent", Instant.EPOCH))),
                Map.of(VM, Instant.EPOCH));
        RoundResult r = round(RULES).run(before, true, false);
        assertThat(r.ok()).isFalse();
        assertThat(r.failure()).hasValueSatisfying(f -> assertThat(f).startsWith("Nova could not be read, no decision made")
                .contains("HTTP 500"));
        assertThat(r.decisions()).isEmpty();
        assertThat(r.executions()).isEmpty();
        assertThat(r.next()).isEqualTo(before);

        JsonLinesHistory history = new JsonLinesHistory(dir.resolve("history.jsonl"));
        Controller controller = new Controller(round(RULES), history, NO_ASSIGNMENTS, states(), TestMetrics.fresh(), new LastRound(), false, false);
        controller.evaluate(before, "test", Optional.empty());
        RoundRecord recorded = history.latest().orElseThrow();
        assertThat(recorded.ok()).isFalse();
        assertThat(recorded.failure()).hasValueSatisfying(f -> assertThat(f).contains("HTTP 500"));
        assertThat(recorded.decisions()).isEmpty();
        assertThat(recorded.state()).isEqualTo(before);
    }

    @Test
    void roundsDecisionsEachReplicasLagAndSilentAgentsAreInTheMetrics() throws Exception {
        agents.answer("compute4", FakeAgents.stats("compute4", 5, 500, Map.of()));
        nova.compute("compute4", true).serve();
        agents.mode("compute4", FakeAgents.Mode.ERROR);
        Controller controller = new Controller(round(RULES), new JsonLinesHistory(dir.resolve("history.jsonl")),
                NO_ASSIGNMENTS, states(), metrics, new LastRound(), false, false);

        controller.evaluate(RoundState.INITIAL, "c1", Optional.empty());
        controller.place(RoundState.INITIAL);

        String text = metrics.scrape(List.of());
        assertThat(text).contains("# TYPE understudy_controller_round_duration_seconds histogram")
                .containsPattern("(?m)^understudy_controller_round_duration_seconds_count\\{result=\"ok\","
                        + "round=\"evaluation\"} 1(\\.0)?$")
                .containsPattern("(?m)^understudy_controller_round_duration_seconds_count\\{result=\"ok\","
                        + "round=\"placement\"} 1(\\.0)?$")
                .containsPattern("(?m)^understudy_controller_decisions_total\\{outcome=\"move\"} 1(\\.0)?$")
                .containsPattern("(?m)^understudy_controller_replica_lag_seconds\\{host=\"compute2\",vm=\"" + VM
                        + "\"} 3(\\.0)?$")
                .containsPattern("(?m)^understudy_controller_replica_lag_seconds\\{host=\"compute3\",vm=\"" + VM
                        + "\"} 200(\\.0)?$")
                .containsPattern("(?m)^understudy_controller_agent_request_errors_total\\{host=\"compute4\","
                        + "request=\"stats\"} 2(\\.0)?$");
    }

    @Test
    void aRoundIsRecordedWithItsReasonsAndAControllerResumesFromIt() throws Exception {
        JsonLinesHistory history = new JsonLinesHistory(dir.resolve("history.jsonl"));
        Controller controller = new Controller(round(RULES.replace("max: 90}", "max: 90, for: 5m}")), history,
                NO_ASSIGNMENTS, states(), TestMetrics.fresh(), new LastRound(), false, false);
        RoundState next = controller.evaluate(RoundState.INITIAL, "c1", Optional.of(Instant.parse("2026-11-29T06:00:00Z")));
        assertThat(next.breaches().of("compute1", "cpu_percent")).isPresent();
        RoundRecord r = history.latest().orElseThrow();
        assertThat(r.controller()).isEqualTo("c1");
        assertThat(r.scheduledAt()).contains(Instant.parse("2026-11-29T06:00:00Z"));
        assertThat(r.outcomes()).containsEntry("STAY", 1);
        assertThat(r.decisions()).as("a STAY is not recorded by default").isEmpty();
        assertThat(controller.resumeState()).isEqualTo(next);
        JsonLinesHistory otherHistory = new JsonLinesHistory(dir.resolve("other-history.jsonl"));
        assertThat(new Controller(round(RULES), otherHistory, NO_ASSIGNMENTS, states(), TestMetrics.fresh(), new LastRound(), false, false).resumeState())
                .as("a standby controller, its own history empty, resumes from the shared state").isEqualTo(next);
        assertThat(new Controller(round(RULES), history, NO_ASSIGNMENTS,
                new RoundStates(new FileRecords(dir.resolve("elsewhere"))), TestMetrics.fresh(), new LastRound(), false, false).resumeState())
                .as("no shared state kept: this controller's history").isEqualTo(next);

        Controller recordingStays = new Controller(round(RULES.replace("max: 90}", "max: 99}")), history,
                NO_ASSIGNMENTS, states(), TestMetrics.fresh(), new LastRound(), false, true);
        recordingStays.evaluate(RoundState.INITIAL, "c1", Optional.empty());
        assertThat(history.latest().orElseThrow().decisions()).as("history.recordStays records VMs on quiet hosts too")
                .singleElement().satisfies(d -> assertThat(d.outcome()).isEqualTo("STAY"));
    }

    @Test
    void aPlacementRoundHandsOnEveryProtectedServerNovaListedAndNothingWhenNovaCouldNotBeRead() throws Exception {
        List<Set<UUID>> sent = new ArrayList<>();
        Assignments recording = (changes, listed, interval) -> sent.add(listed);
        JsonLinesHistory history = new JsonLinesHistory(dir.resolve("history.jsonl"));
        new Controller(round(RULES), history, recording, states(), TestMetrics.fresh(), new LastRound(), false, false).place(RoundState.INITIAL);
        assertThat(sent).singleElement().as("a server no longer protected is let go as a deleted one")
                .satisfies(listed -> assertThat(listed).containsExactly(VM));

        new Controller(round(RULES), history, recording, states(), TestMetrics.fresh(), new LastRound(), true, false).place(RoundState.INITIAL);
        assertThat(sent).as("a dry run sends and releases nothing").hasSize(1);

        nova.fail("/servers/detail", 500);
        new Controller(round(RULES), history, recording, states(), TestMetrics.fresh(), new LastRound(), false, false).place(RoundState.INITIAL);
        assertThat(sent).as("a VM Nova could not be asked about is not gone").hasSize(1);
    }

    @Test
    void aBadRulesReloadKeepsTheLastGoodRulesAndSaysSo() throws Exception {
        EvaluationRound round = round(RULES);
        assertThat(round.run(RoundState.INITIAL, false, true).decisions().get(0).outcome()).isEqualTo(Outcome.MOVE);
        Files.writeString(dir.resolve("rules.yaml"), "rules:\n  - parameter: cpu_percent\n    max: lots\n");
        RoundResult r = round.run(RoundState.INITIAL, false, true);
        assertThat(r.notes()).singleElement().asString()
                .startsWith("rules not reloaded, still using the last good ones: ").contains(":3: rules[1].max:");
        assertThat(r.decisions().get(0).outcome()).isEqualTo(Outcome.MOVE);
    }
}
