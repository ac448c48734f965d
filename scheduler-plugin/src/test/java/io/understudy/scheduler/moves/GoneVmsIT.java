package io.understudy.scheduler.moves;

import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.wireMockConfig;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assumptions.assumeThat;

import com.github.tomakehurst.wiremock.WireMockServer;
import io.understudy.agent.api.AgentClient;
import io.understudy.agent.api.AgentException;
import io.understudy.agent.api.Role;
import io.understudy.scheduler.round.LastRound;
import io.understudy.scheduler.history.JsonLinesHistory;
import io.understudy.scheduler.records.FileRecords;
import io.understudy.scheduler.round.Controller;
import io.understudy.scheduler.round.EvaluationRound;
import io.understudy.scheduler.round.FailedHosts;
import io.understudy.scheduler.round.RoundState;
import io.understudy.scheduler.round.RoundStates;
import io.understudy.scheduler.round.RulesSource;
import io.understudy.scheduler.stats.AgentDirectory;
import io.understudy.scheduler.stats.AgentReader;
import io.understudy.scheduler.stats.NovaReader;
import io.understudy.scheduler.testing.AgentDaemons;
import io.understudy.scheduler.testing.FakeNova;
import io.understudy.scheduler.testing.RecordingMoves;
import io.understudy.scheduler.testing.SeedDelta;
import io.understudy.scheduler.testing.TestMetrics;
import java.net.http.HttpRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A protected VM deleted in Nova, released from real agent daemons by the controller's placement
 * rounds (Nova played by WireMock, the rounds' clock set by the test): nothing while it is gone
 * for less than the grace or Nova cannot be read; then each agent's own API says it has neither
 * the VM's protection nor its replica, and its log says it removed them; an agent down at that
 * moment is released once it answers again.
 */
class GoneVmsIT {

    private static final List<String> HOSTS = List.of("compute1", "compute2", "compute3");
    private static final UUID VM = UUID.fromString("5e4d3c2b-1a09-4f8e-9d7c-6b5a4f3e2d1c");
    private static final Duration GRACE = Duration.ofHours(1);
    private static final Instant T0 = Instant.parse("2026-12-07T08:00:00Z");
    private static final int NOT_FOUND = 404;

    @TempDir
    Path dir;

    private final WireMockServer wireMock = new WireMockServer(wireMockConfig().dynamicPort());
    private final ExecutorService pool = Executors.newFixedThreadPool(3);
    private AgentDaemons agents;

    @BeforeEach
    void start() throws Exception {
        assumeThat(Files.exists(Path.of("/usr/lib/x86_64-linux-gnu/libvirt.so.0"))).as("libvirt is installed").isTrue();
        for (String host : HOSTS) {
            Files.createDirectories(dir.resolve("state").resolve(host).resolve("instances"));
        }
        agents = new AgentDaemons(HOSTS, dir.resolve("state"), Files.createDirectories(dir.resolve("agents")));
        wireMock.start();
    }

    @AfterEach
    void stop() {
        if (agents != null) {
            agents.close();
        }
        wireMock.stop();
        pool.shutdownNow();
    }

    /** Nova's listing: the three computes, and VM on compute1 while LISTED. */
    private void nova(boolean listed) {
        FakeNova nova = new FakeNova(wireMock);
        HOSTS.forEach(h -> nova.compute(h, true));
        if (listed) {
            nova.protectedServer(VM, "db", "compute1");
        }
        nova.serve();
    }

    private AgentDirectory directory() {
        return host -> agents.client(host);
    }

    /** A placement round at AT by a controller made anew from its data directory, as a restart or a standby makes it. */
    private void placementRound(Instant at) {
        FileRecords records = new FileRecords(dir.resolve("controller"));
        MoveAgents moveAgents = new DirectoryAgents(directory(), TestMetrics.fresh());
        Designator designator = new Designator(moveAgents, records);
        PlacementAssignments assignments = new PlacementAssignments(designator, new RecordJournal(records),
                new ForcedDownHosts(records), new GoneVms(designator, moveAgents, records, GRACE,
                Clock.fixed(at, ZoneOffset.UTC)));
        EvaluationRound round = new EvaluationRound(new NovaReader(FakeNova.client(wireMock, Duration.ofSeconds(4)), 100),
                new AgentReader(directory(), TestMetrics.fresh(), pool), new RulesSource(Optional.empty()), FailedHosts.NONE,
                new RecordingMoves(), Clock.systemUTC());
        new Controller(round, new JsonLinesHistory(dir.resolve("history.jsonl")), assignments, new RoundStates(records), TestMetrics.fresh(),
                new LastRound(), false, false).place(RoundState.INITIAL);
    }

    private void assertKept(String host) throws Exception {
        AgentClient agent = agents.client(host);
        assertThat(agent.protection(VM).vm()).as(host + " still protects the VM").isEqualTo(VM);
        if (!host.equals("compute1")) {
            assertThat(agent.replica(VM).version()).as(host + " still holds its replica").isEqualTo(1);
        }
    }

    private void assertKeptEverywhere() throws Exception {
        for (String host : HOSTS) {
            assertKept(host);
        }
    }

    private void assertReleased(String host) throws Exception {
        AgentClient agent = agents.client(host);
        assertThatThrownBy(() -> agent.protection(VM)).as(host).isInstanceOfSatisfying(AgentException.class,
                e -> assertThat(e.status()).isEqualTo(NOT_FOUND));
        assertThatThrownBy(() -> agent.replica(VM)).as(host).isInstanceOfSatisfying(AgentException.class,
                e -> assertThat(e.status()).isEqualTo(NOT_FOUND));
        assertThat(agent.replicas()).as(host).isEmpty();
        String log = Files.readString(dir.resolve("agents").resolve(host).resolve("agent.log"));
        assertThat(log).as(host + "'s log").contains("vm " + VM + ": protection removed");
        if (!host.equals("compute1")) {
            assertThat(log).as(host + "'s log").contains("replica " + VM + ": deleted");
        }
    }

    @Test
    void aVmDeletedInNovaLosesItsProtectionAndReplicasOnEveryAgentOnlyAfterTheGrace() throws Exception {
        nova(true);
        placementRound(T0.minus(Duration.ofMinutes(5)));
        assertThat(agents.client("compute1").protection(VM).role()).isEqualTo(Role.PRIMARY);
        for (String secondary : List.of("compute2", "compute3")) {
            assertThat(agents.client(secondary).protection(VM).role()).as(secondary).isEqualTo(Role.SECONDARY);
            agents.client(secondary).sendDelta(VM, HttpRequest.BodyPublishers.ofByteArray(
                    SeedDelta.zeros(VM, 1 << 20, System.currentTimeMillis())));
        }
        assertKeptEverywhere();

        nova(false);
        placementRound(T0);
        placementRound(T0.plus(Duration.ofMinutes(59)));
        assertKeptEverywhere();
        new FakeNova(wireMock).fail("/servers/detail", 500);
        placementRound(T0.plus(GRACE.multipliedBy(2)));
        assertKeptEverywhere();

        nova(false);
        agents.kill("compute3");
        placementRound(T0.plus(GRACE).plus(Duration.ofMinutes(2)));
        assertReleased("compute1");
        assertReleased("compute2");
        assertThat(new FileRecords(dir.resolve("controller")).get("assignments", VM.toString())).isEmpty();

        agents.restart("compute3");
        assertKept("compute3");
        placementRound(T0.plus(GRACE).plus(Duration.ofMinutes(3)));
        assertReleased("compute3");
        assertThat(new FileRecords(dir.resolve("controller")).all(GoneVms.KIND)).isEmpty();
    }
}
