package io.understudy.scheduler.jobs;

import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.wireMockConfig;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.google.inject.AbstractModule;
import com.google.inject.Guice;
import com.google.inject.Injector;
import com.google.inject.Provides;
import io.understudy.scheduler.round.LastRound;
import io.understudy.scheduler.config.JobsConfig;
import io.understudy.scheduler.history.JsonLinesHistory;
import io.understudy.scheduler.history.RoundRecord;
import io.understudy.scheduler.records.FileRecords;
import io.understudy.scheduler.round.Controller;
import io.understudy.scheduler.round.EvaluationRound;
import io.understudy.scheduler.round.FailedHosts;
import io.understudy.scheduler.round.RoundStates;
import io.understudy.scheduler.round.RulesSource;
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
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The in-memory scheduler runs rounds on its own, and each round starts from the state the last one left. */
class JobsTest {

    private final WireMockServer wireMock = new WireMockServer(wireMockConfig().dynamicPort());
    private final FakeAgents agents = new FakeAgents(Duration.ofSeconds(2));

    @TempDir
    Path dir;

    @AfterEach
    void stop() {
        wireMock.stop();
        agents.close();
    }

    /** Jobs made by Guice, their controller reading the fake Nova and agents with these RULES. */
    private Injector injector(Optional<Path> rules, JsonLinesHistory history) {
        return Guice.createInjector(new AbstractModule() {
            @Provides
            Controller controller() {
                return new Controller(new EvaluationRound(
                        new NovaReader(FakeNova.client(wireMock, Duration.ofSeconds(4)), 100),
                        new AgentReader(agents.directory(), TestMetrics.fresh(), Executors.newFixedThreadPool(2)),
                        new RulesSource(rules), FailedHosts.NONE, new RecordingMoves(),
                        Clock.systemUTC()), history, (changes, listed, interval) -> { },
                        new RoundStates(new FileRecords(dir)), TestMetrics.fresh(), new LastRound(), false, false);
            }
        });
    }

    @Test
    void roundsRunEveryIntervalAndCarryTheirBreachesUntilTheyCount() throws Exception {
        wireMock.start();
        UUID vm = UUID.randomUUID();
        new FakeNova(wireMock).compute("compute1", true).compute("compute2", true)
                .protectedServer(vm, "db", "compute1").serve();
        agents.answer("compute1", FakeAgents.stats("compute1", 99, 500, Map.of()))
                .answer("compute2", FakeAgents.stats("compute2", 1, 500, Map.of(vm, 1.0)));
        Path rules = dir.resolve("rules.yaml");
        Files.writeString(rules, "rules: [{parameter: cpu_percent, max: 90, for: 1500ms}]\n");
        JsonLinesHistory history = new JsonLinesHistory(dir.resolve("history.jsonl"));
        Injector injector = injector(Optional.of(rules), history);
        JobsConfig config = new JobsConfig(Duration.ofMillis(300), Duration.ofHours(1), JobsConfig.Store.MEMORY,
                Optional.empty(), Optional.empty(), Optional.empty(), 1, false, "test-" + UUID.randomUUID(),
                Duration.ofSeconds(1));
        try (Jobs jobs = Jobs.start(config, injector)) {
            // The first rounds see a PENDING breach (a STAY); once it has lasted 1.5 s, a MOVE —
            // which only happens if each round got the breach's start from the one before.
            await().atMost(Duration.ofSeconds(30)).until(() -> history.last(100).stream()
                    .anyMatch(r -> r.outcomes().containsKey("MOVE")));
        }
        List<RoundRecord> rounds = history.last(100);
        assertThat(rounds.get(0).outcomes()).containsEntry("STAY", 1);
        assertThat(rounds).allMatch(RoundRecord::ok);
        assertThat(rounds).extracting(r -> r.scheduledAt().orElseThrow()).doesNotHaveDuplicates();
        RoundRecord move = rounds.stream().filter(r -> r.outcomes().containsKey("MOVE")).findFirst().orElseThrow();
        assertThat(move.decisions()).singleElement().satisfies(d -> {
            assertThat(d.target()).contains("compute2");
            assertThat(d.reasons()).anyMatch(x -> x.contains("cpu_percent=99 outside max 90"));
        });
        assertThat(move.executions()).singleElement().asString().contains("recorded only");
    }

    @Test
    void aRoundAskedForNowRunsAtOnceBesideTheSchedule() throws Exception {
        wireMock.start();
        new FakeNova(wireMock).compute("compute1", true).serve();
        agents.answer("compute1", FakeAgents.stats("compute1", 1, 500, Map.of()));
        JsonLinesHistory history = new JsonLinesHistory(dir.resolve("history.jsonl"));
        Injector injector = injector(Optional.empty(), history);
        JobsConfig hourly = new JobsConfig(Duration.ofHours(1), Duration.ofHours(1), JobsConfig.Store.MEMORY,
                Optional.empty(), Optional.empty(), Optional.empty(), 1, false, "test-" + UUID.randomUUID(),
                Duration.ofSeconds(1));
        try (Jobs jobs = Jobs.start(hourly, injector)) {
            await().atMost(Duration.ofSeconds(30)).until(() -> history.last(10).size() == 1);
            jobs.evaluateNow();
            await().atMost(Duration.ofSeconds(30)).until(() -> history.last(10).size() == 2);
        }
        assertThat(history.last(10)).allMatch(RoundRecord::ok);
    }

    @Test
    void aDeadlockWhileControllersStartTogetherIsTriedAgainOtherDatabaseErrorsAreNot() {
        // What MariaDB says when two controllers store the same trigger at once.
        var deadlock = new org.quartz.JobPersistenceException("Couldn't store trigger",
                new java.sql.SQLTransactionRollbackException("Deadlock found when trying to get lock", "40001", 1213));
        var denied = new org.quartz.JobPersistenceException("Couldn't store trigger",
                new java.sql.SQLException("Access denied for user", "28000", 1045));
        assertThat(Jobs.transientDatabaseFailure(deadlock)).isTrue();
        assertThat(Jobs.transientDatabaseFailure(denied)).isFalse();
        assertThat(Jobs.transientDatabaseFailure(new org.quartz.JobPersistenceException("no cause"))).isFalse();
    }
}
