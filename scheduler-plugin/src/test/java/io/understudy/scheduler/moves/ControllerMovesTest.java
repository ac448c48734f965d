package io.understudy.scheduler.moves;

import io.understudy.scheduler.records.FileRecords;
import static org.assertj.core.api.Assertions.assertThat;

import io.understudy.nova.action.Fenced;
import io.understudy.nova.action.MoveResult.Outcome;
import io.understudy.scheduler.decide.Candidate;
import io.understudy.scheduler.decide.Decision;
import io.understudy.scheduler.round.FailedHosts;
import io.understudy.scheduler.round.MoveExecutor.Execution;
import io.understudy.scheduler.rules.MoveAction;
import io.understudy.scheduler.testing.TestMetrics;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The rounds' executor: a failover blocked before Nova moved anything starts no cooldown; the next
 * round retries; the host a failover forced down is brought back by the next rounds; a round does
 * not move a VM another controller moved since the round began.
 */
class ControllerMovesTest {

    private static final UUID VM = UUID.fromString("0b5c1f3e-8d2a-4c6b-9e7f-1a2b3c4d5e6f");

    @TempDir
    Path dir;

    private final ExecutorService pool = Executors.newSingleThreadExecutor();

    @AfterEach
    void stop() {
        pool.shutdownNow();
    }

    /** A controller on the records in DIR, its hosts fenced by FENCER. */
    private ControllerMoves controller(FakeNovaMoves nova, FakeMoveAgents agents, Fencer fencer) {
        Journal journal = new RecordJournal(new FileRecords(dir));
        Fencers fencers = new Fencers(Map.of(), fencer,
                new FenceConfirmations(new FileRecords(dir), Duration.ofMinutes(30)), agents, TestMetrics.fresh(), Clock.systemUTC());
        Designator designator = new Designator(agents, new FileRecords(dir));
        ForcedDownHosts forcedDown = new ForcedDownHosts(new FileRecords(dir));
        Mover mover = new Mover(new MoveSteps(nova, agents, fencers, designator, forcedDown, true, Duration.ofMinutes(5), Clock.systemUTC()),
                journal, TestMetrics.fresh(), Clock.systemUTC());
        BringBack bringBack = new BringBack(forcedDown, nova, agents, designator, journal,
                new FenceConfirmations(new FileRecords(dir), Duration.ofMinutes(30)), FailedHosts.NONE,
                Clock.systemUTC());
        return new ControllerMoves(mover, journal, bringBack, () -> Duration.ofSeconds(30), pool, Clock.systemUTC());
    }

    private static Decision decision(MoveAction action, String reason) {
        return new Decision(VM, "vm", "compute1", io.understudy.scheduler.decide.Outcome.MOVE, Optional.of(action),
                Optional.of("compute2"), true, List.of(reason), List.of(),
                List.of(new Candidate("compute2", 1.5, true, 1.0, List.of())));
    }

    @Test
    void aRoundDoesNotMoveAVmAnotherControllerMovedAfterItSettledAndReadNova() {
        FakeNovaMoves nova = new FakeNovaMoves();
        nova.liveMigrations.add(Outcome.COMPLETED);
        FakeMoveAgents agents = new FakeMoveAgents().holds("compute2", 1.5);
        Fencer none = (host, vm) -> {
            throw new AssertionError("a live migration fences nothing");
        };
        ControllerMoves here = controller(nova, agents, none);
        ControllerMoves other = controller(nova, agents, none);
        Decision migrate = decision(MoveAction.LIVE_MIGRATE, "cpu: 97 outside max 90");

        assertThat(here.settle()).isEmpty();
        assertThat(other.execute(List.of(migrate))).singleElement().satisfies(e -> assertThat(e.note())
                .contains("live migration of " + VM + " compute1 -> compute2: DONE"));
        assertThat(other.held()).as("nothing open to hold the VM by").isEmpty();
        Execution late = here.execute(List.of(migrate)).get(0);

        assertThat(late.startedAt()).isEmpty();
        assertThat(late.note()).isEqualTo("not started: another controller claimed vm " + VM + " since this one decided");
        assertThat(nova.calls.stream().filter(c -> c.startsWith("liveMigrate"))).hasSize(1);
    }

    @Test
    void aFailoverBlockedAtTheFenceStartsNoCooldownAndOneThatRanDoes() {
        FakeNovaMoves nova = new FakeNovaMoves().service("compute1", false, Instant.now());
        FakeMoveAgents agents = new FakeMoveAgents().holds("compute2", 1.5);
        Deque<Fencer.Fence> fences = new ArrayDeque<>(List.of(
                Fencer.Fence.refused("redfish: compute1 not reported Off within 60000 ms of ForceOff (last read: "
                        + "PowerState On)", 0, 0),
                Fencer.Fence.done(new Fenced("compute1", "redfish: PowerState Off", Instant.now()), "fenced", 0, 0)));
        ControllerMoves moves = controller(nova, agents, (host, vm) -> fences.pop());
        Decision failover = decision(MoveAction.EVACUATE, "host failed");

        Execution blocked = moves.execute(List.of(failover)).get(0);

        assertThat(blocked.startedAt()).as("nothing moved: no cooldown").isEmpty();
        assertThat(blocked.note()).contains(": STOPPED at fence (failover blocked: fence failed: redfish: compute1 "
                + "not reported Off within 60000 ms of ForceOff");
        assertThat(moves.held()).isEmpty();

        nova.evacuations.add(Outcome.COMPLETED);
        Execution next = moves.execute(List.of(failover)).get(0);

        assertThat(next.startedAt()).isPresent();
        assertThat(next.note()).contains("failover of " + VM + " compute1 -> compute2: DONE");
        assertThat(moves.settle()).as("the next round brings compute1 back: its agent answers, no evacuation "
                + "record left to clean up").containsExactly("host compute1 BACK: forced_down lifted, enabled; secondary of "
                + VM + " (primary compute2)");
        assertThat(nova.services.get("compute1").forcedDown()).isFalse();
    }
}
