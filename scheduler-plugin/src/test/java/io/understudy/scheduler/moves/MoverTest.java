package io.understudy.scheduler.moves;

import io.understudy.scheduler.records.FileRecords;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.understudy.agent.api.BootImages;
import io.understudy.agent.api.FenceResult;
import io.understudy.agent.api.Role;
import io.understudy.nova.action.Fenced;
import io.understudy.nova.action.MoveResult.Outcome;
import io.understudy.nova.action.ServiceChange;
import io.understudy.nova.client.Backoff;
import io.understudy.scheduler.testing.TestMetrics;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.io.TempDir;

/**
 * The order of a move's steps, what each outcome makes of the move, and how a restarted
 * controller resumes from the journal — against in-memory Nova and agents (the real ones are
 * driven in MovesCloudIT).
 */
class MoverTest {

    static final UUID VM = UUID.fromString("0b5c1f3e-8d2a-4c6b-9e7f-1a2b3c4d5e6f");
    static final Duration INTERVAL = Duration.ofSeconds(30);
    static final MovePlan LIVE = new MovePlan(VM, MoveKind.LIVE_MIGRATION, "compute1", "compute2",
            List.of("compute2", "compute3"), INTERVAL, "cpu: 97 outside max 90");
    static final MovePlan FAILOVER = new MovePlan(VM, MoveKind.FAILOVER, "compute1", "compute2",
            List.of("compute2", "compute3"), INTERVAL, "service_up: false outside = true");

    /** A fencer that always has its proof. */
    static final Fencer FENCED = (host, vm) -> Fencer.Fence.done(new Fenced(host, "test: powered off",
            Instant.now()), host + " fenced", 0, 0);

    @TempDir
    Path dir;

    private final FakeNovaMoves nova = new FakeNovaMoves();
    private final FakeMoveAgents agents = new FakeMoveAgents().holds("compute2", 1.5).holds("compute3", 2.5);

    /** A controller: what a restart makes anew from the same data directory. */
    private Mover controller() {
        Fencer novaDown = new NovaDownFencer(nova, Duration.ofSeconds(10),
                new Backoff(Duration.ofMillis(5), Duration.ofMillis(10)), Clock.systemUTC());
        return controller(new AgentChecked(novaDown, agents, Clock.systemUTC()));
    }

    /** A controller whose hosts are all fenced by FENCER. */
    private Mover controller(Fencer fencer) {
        return controller(fencer, journal());
    }

    /** A controller whose hosts are all fenced by FENCER, journaling in JOURNAL. */
    private Mover controller(Fencer fencer, Journal journal) {
        Fencers fencers = new Fencers(Map.of(), fencer, confirmations(), agents, TestMetrics.fresh(), Clock.systemUTC());
        return new Mover(new MoveSteps(nova, agents, fencers, new Designator(agents, new FileRecords(dir)),
                new ForcedDownHosts(new FileRecords(dir)), true, Duration.ofMinutes(5), Clock.systemUTC()), journal, TestMetrics.fresh(), Clock.systemUTC());
    }

    private FenceConfirmations confirmations() {
        return new FenceConfirmations(new FileRecords(dir), Duration.ofMinutes(30));
    }

    private RecordJournal journal() {
        return new RecordJournal(new FileRecords(dir));
    }

    @Test
    void aLiveMigrationSyncsMigratesThenFlipsTheRolesSecondariesFirst() {
        nova.liveMigrations.add(Outcome.COMPLETED);

        MoveState move = controller().start(LIVE);

        assertThat(move.status()).as(move.summary()).isEqualTo(MoveState.Status.DONE);
        assertThat(agents.calls).hasSize(4).startsWith("hold compute1 after a round")
                .endsWith("protect compute2 PRIMARY [compute1, compute3]");
        assertThat(agents.calls.subList(1, 3)).as("the secondaries told at once")
                .containsExactlyInAnyOrder("protect compute1 SECONDARY [compute2]",
                        "protect compute3 SECONDARY [compute2]");
        assertThat(nova.calls).as("Nova read for the migration while the rounds were held, then asked")
                .containsExactly("read for liveMigrate compute2", "liveMigrate compute2");
        assertThat(move.steps()).extracting(StepRecord::step)
                .containsExactly(Step.SYNC, Step.MIGRATE, Step.REDESIGNATE);
        assertThat(move.steps().get(1).requestIds()).containsExactly("req-LIVE_MIGRATION");
        assertThat(move.summary()).startsWith("live migration of " + VM + " compute1 -> compute2: DONE in ")
                .contains("sync 0.", "live migration 0.", "[Nova 0.0 s]", "5 Nova requests", "4 agent requests")
                // The fake Nova's timing is made up: more than its step took, so the step's share may be negative.
                .containsPattern("; the controller's share -?\\d+ ms \\(final sync \\d+, live migration -?\\d+, "
                        + "re-designate \\d+, between steps \\d+\\); ");
        assertThat(move.steps().get(0).note()).matches("rounds on compute1 held after a last round \\(version 7\\) in "
                + "\\d+ ms");
        assertThat(move.steps().get(1).note()).isEqualTo("COMPLETED: ACTIVE on compute2");
        assertThat(journal().open()).as("an ended move is no longer open").isEmpty();
        assertThat(dir.resolve("moves/ended")).isDirectoryContaining(p -> p.getFileName().toString().startsWith(VM + "-"));
        assertThat(new Designator(agents, new FileRecords(dir)).assigned(VM)).get().satisfies(d -> {
            assertThat(d.primary()).isEqualTo("compute2");
            assertThat(d.secondaries()).containsExactly("compute1", "compute3");
            assertThat(d.undelivered()).isEmpty();
        });
    }

    @Test
    void aLiveMigrationTheJournalRefusesReleasesTheRoundsItsBeginningHeld() {
        nova.liveMigrations.add(Outcome.FAILED);
        assertThat(controller().start(LIVE).status()).as("left open for an operator")
                .isEqualTo(MoveState.Status.NEEDS_OPERATOR);
        agents.calls.clear();
        nova.calls.clear();

        // Claimed from the current version, but the VM's move is still open: the journal refuses it.
        assertThatThrownBy(() -> controller().start(LIVE)).isInstanceOf(MoveConflictException.class);

        await("the hold begun with it released").atMost(Duration.ofSeconds(5))
                .until(() -> agents.calls.equals(List.of("hold compute1 after a round", "release compute1")));
        assertThat(nova.calls).as("Nova only read, never asked").containsExactly("read for liveMigrate compute2");
    }

    @Test
    void aMoveDecidedBeforeAnotherControllerMovedTheVmIsNotCarriedOut() {
        long seen = journal().claims().getOrDefault(VM, 0L);
        nova.liveMigrations.add(Outcome.COMPLETED);
        assertThat(controller().start(LIVE).status()).as("another controller's move, since").isEqualTo(
                MoveState.Status.DONE);
        nova.calls.clear();
        agents.calls.clear();

        assertThatThrownBy(() -> controller().start(LIVE, seen)).isInstanceOf(MoveConflictException.class)
                .hasMessageContaining("another controller claimed vm " + VM);

        assertThat(nova.calls).isEmpty();
        assertThat(agents.calls).isEmpty();
        assertThat(journal().open()).isEmpty();
    }

    @Test
    void aControllerWhoseVmAnotherClaimedMidMoveStopsBeforeItsNextStep() {
        nova.service("compute1", false, Instant.now().minusSeconds(30));
        nova.evacuations.add(Outcome.COMPLETED);
        // While this controller fences, another one takes the move over (a round of its own).
        Fencer fencedWhileAnotherClaims = (host, vm) -> {
            journal().claim(VM, journal().claims().get(VM), "fence by another controller", Instant.now())
                    .orElseThrow();
            return FENCED.fence(host, vm);
        };

        MoveState move = controller(fencedWhileAnotherClaims).start(FAILOVER);

        assertThat(move.status()).isEqualTo(MoveState.Status.IN_FLIGHT);
        assertThat(move.nextStep()).contains(Step.FORCE_DOWN);
        assertThat(nova.calls).noneMatch(c -> c.startsWith("forceDown") || c.startsWith("evacuate"));
        assertThat(journal().open(VM)).get().satisfies(m -> assertThat(m.nextStep()).contains(Step.FORCE_DOWN));
    }

    @Test
    void aFailedFinalSyncOrAnAgentAwayWarnsAndTheMoveGoesOn() {
        agents.away.add("compute1");
        agents.away.add("compute3");
        nova.liveMigrations.add(Outcome.COMPLETED);

        MoveState move = controller().start(LIVE);

        assertThat(move.status()).isEqualTo(MoveState.Status.DONE);
        assertThat(move.steps()).extracting(StepRecord::result).containsExactly(StepResult.Result.WARNED,
                StepResult.Result.DONE, StepResult.Result.WARNED);
        assertThat(move.steps().get(0).note()).startsWith("the rounds on compute1 could not be held")
                .contains("the live migration goes on");
        assertThat(move.steps().get(2).note()).contains("not delivered, sent again when they answer");
        assertThat(agents.protections).containsOnlyKeys("compute2");
        // Recorded beside the requests as if they got through, then again with the hosts they did not reach.
        assertThat(new Designator(agents, new FileRecords(dir)).assigned(VM)).get().satisfies(d -> {
            assertThat(d.primary()).isEqualTo("compute2");
            assertThat(d.undelivered()).containsExactlyInAnyOrder("compute1", "compute3");
        });
    }

    @Test
    void aFailoverFencesForcesDownStagesEvacuatesThenFlipsTheRoles() {
        nova.service("compute1", false, Instant.now().minusSeconds(30));
        nova.server(VM, "compute1");
        nova.evacuations.add(Outcome.COMPLETED);

        MoveState move = controller().start(FAILOVER);

        assertThat(move.status()).as(move.summary()).isEqualTo(MoveState.Status.DONE);
        assertThat(move.steps()).extracting(StepRecord::step).containsExactly(Step.FENCE, Step.FORCE_DOWN, Step.STAGE,
                Step.EVACUATE, Step.REDESIGNATE);
        assertThat(nova.calls).containsExactly("computeService compute1", "forceDown compute1", "server",
                "evacuate compute2 fenced compute1");
        assertThat(agents.staged).as("the stage names the VM's kernel and ramdisk images, as Nova has them")
                .containsExactly(new BootImages(FakeNovaMoves.KERNEL_IMAGE, null));
        assertThat(agents.calls).as("Nova's verdict, then the VM's domain destroyed by the agent that still answers")
                .hasSize(6).startsWith("health compute1", "destroyDomain compute1", "stage compute2")
                .endsWith("protect compute2 PRIMARY [compute1, compute3]");
        assertThat(agents.calls.subList(3, 5)).as("the secondaries told at once")
                .containsExactlyInAnyOrder("protect compute1 SECONDARY [compute2]",
                        "protect compute3 SECONDARY [compute2]");
        assertThat(nova.proofs).singleElement().satisfies(p -> assertThat(p.how()).contains("down", "silent since",
                "agent on compute1: its domain was not running, libvirt now ABSENT"));
        assertThat(move.fence()).contains(nova.proofs.get(0));
        assertThat(agents.protections.get("compute2").role()).isEqualTo(Role.PRIMARY);
    }

    @Test
    void aFailoverWhileTheSourceIsUpStopsAtTheFenceWithNothingStagedOrAsked() {
        nova.service("compute1", true, Instant.now());

        MoveState move = controller().start(FAILOVER);

        assertThat(move.status()).isEqualTo(MoveState.Status.STOPPED);
        assertThat(move.lastNote()).isEqualTo("failover blocked: fence failed: compute1's nova-compute is up in Nova "
                + "(last report " + nova.services.get("compute1").updatedAt().orElseThrow() + "): it may still run its "
                + "VMs");
        assertThat(move.summary()).contains(": STOPPED at fence (failover blocked: fence failed: ");
        assertThat(nova.calls).containsExactly("computeService compute1");
        assertThat(agents.calls).isEmpty();
        assertThat(move.blocked()).as("nothing moved: no cooldown").isTrue();
        assertThat(journal().open()).as("nothing happened: the VM may be decided on again").isEmpty();
    }

    @Test
    void aFenceThatFailsBlocksTheFailoverAndTheNextAttemptGoesOnceItWorks() {
        Deque<Fencer.Fence> answers = new ArrayDeque<>(List.of(
                Fencer.Fence.refused("redfish: https://bmc1/redfish/v1/Systems/1 did not answer: no answer within "
                        + "60000 ms", 0, 0),
                Fencer.Fence.done(new Fenced("compute1", "redfish: ForceOff, PowerState Off", Instant.now()),
                        "compute1 fenced: ForceOff", 0, 0)));
        nova.evacuations.add(Outcome.COMPLETED);

        MoveState blocked = controller((host, vm) -> answers.pop()).start(FAILOVER);

        assertThat(blocked.status()).isEqualTo(MoveState.Status.STOPPED);
        assertThat(blocked.lastNote()).isEqualTo("failover blocked: fence failed: redfish: "
                + "https://bmc1/redfish/v1/Systems/1 did not answer: no answer within 60000 ms");
        assertThat(blocked.blocked()).isTrue();
        assertThat(nova.calls).as("no force-down, no evacuation without a fence").isEmpty();
        assertThat(agents.calls).isEmpty();

        MoveState next = controller((host, vm) -> answers.pop()).start(FAILOVER);

        assertThat(next.status()).as(next.summary()).isEqualTo(MoveState.Status.DONE);
        assertThat(nova.proofs).singleElement().satisfies(p -> assertThat(p.how()).contains("PowerState Off"));
    }

    @Test
    void aForceDownNovaRefusesBlocksTheFailoverBeforeAnythingIsStaged() {
        nova.forceDown = ServiceChange.Outcome.UNRESOLVED;

        MoveState move = controller(FENCED).start(FAILOVER);

        assertThat(move.status()).isEqualTo(MoveState.Status.STOPPED);
        assertThat(move.blocked()).isTrue();
        assertThat(move.lastNote()).isEqualTo("failover blocked: compute1's nova-compute not forced down: "
                + "as the test said");
        assertThat(nova.calls).containsExactly("forceDown compute1");
        assertThat(agents.calls).isEmpty();
    }

    @Test
    void anOperatorsConfirmationIsTheProofWhileTheHostsAgentIsSilent() {
        Fencer refusing = (host, vm) -> Fencer.Fence.refused("redfish: BMC unreachable", 0, 0);
        confirmations().record(new FenceConfirmations.Confirmation("compute1", Instant.now(), "alice",
                "pulled both power cords"));
        agents.away.add("compute1");
        nova.evacuations.add(Outcome.COMPLETED);

        MoveState move = controller(refusing).start(FAILOVER);

        assertThat(move.status()).as(move.summary()).isEqualTo(MoveState.Status.DONE);
        assertThat(nova.proofs).singleElement().satisfies(p -> assertThat(p.how())
                .startsWith("confirmed by hand by alice at ").endsWith(": pulled both power cords"));
        assertThat(agents.calls).startsWith("health compute1");
    }

    @Test
    void aConfirmationIsWithdrawnOnceTheHostsAgentAnswersAgainAndExpires() {
        Fencer refusing = (host, vm) -> Fencer.Fence.refused("redfish: BMC unreachable", 0, 0);
        confirmations().record(new FenceConfirmations.Confirmation("compute1", Instant.now(), "alice", ""));

        MoveState back = controller(refusing).start(FAILOVER);

        assertThat(back.lastNote()).isEqualTo("failover blocked: fence failed: redfish: BMC unreachable");
        assertThat(confirmations().current("compute1", Instant.now())).as("the host came back").isEmpty();
        assertThat(dir.resolve("fences/compute1.json")).doesNotExist();

        confirmations().record(new FenceConfirmations.Confirmation("compute1", Instant.now().minus(Duration.ofHours(1)),
                "alice", ""));
        assertThat(confirmations().current("compute1", Instant.now())).as("older than confirmedFor").isEmpty();
    }

    @Test
    void aJournaledFailoverWhoseStepsDoneAreNotItsFirstIsNotResumedBlindly() {
        // Journaled before the force-down moved ahead of staging: fenced and staged, evacuating next.
        Instant at = Instant.now();
        List<StepRecord> old = List.of(
                new StepRecord(Step.FENCE, StepResult.Result.DONE, "fenced", at, 1, 0, 1, 0, List.of()),
                new StepRecord(Step.STAGE, StepResult.Result.DONE, "staged", at, 1, 0, 0, 1, List.of()));

        assertThatThrownBy(() -> new MoveState(FAILOVER, MoveState.Status.IN_FLIGHT, 2, true, Optional.empty(), at, at,
                old)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage(FAILOVER.describe() + ": steps done [fence, stage] are not the first 2 of its steps "
                        + "[fence, force down, stage, evacuate, re-designate] (journaled by another version?)");
    }

    @Test
    void novasVerdictIsNoFenceWhileTheHostsAgentAnswersWithoutDestroyingTheVm() {
        nova.service("compute1", false, Instant.now().minusSeconds(30));
        agents.destroys.put("compute1", new FenceResult(VM, "compute1", true, false, "RUNNING"));

        MoveState move = controller().start(FAILOVER);

        assertThat(move.status()).isEqualTo(MoveState.Status.STOPPED);
        assertThat(move.lastNote()).isEqualTo("failover blocked: fence failed: compute1's agent answers and did not "
                + "destroy the VM (agent: compute1's agent reports vm " + VM + " RUNNING after destroying it)");
        assertThat(nova.calls).containsExactly("computeService compute1");

        agents.away.add("compute1");
        nova.evacuations.add(Outcome.COMPLETED);
        MoveState silent = controller().start(FAILOVER);
        assertThat(silent.status()).as(silent.summary()).isEqualTo(MoveState.Status.DONE);
        assertThat(silent.fence()).get().satisfies(p -> assertThat(p.how()).endsWith("; its agent silent"));
    }

    @Test
    void aSourceForcedDownMomentsAgoIsWaitedForUntilItsSilenceIsLongEnough() {
        Instant report = Instant.now().minusSeconds(10).plusMillis(300);
        nova.services.put("compute1", new io.understudy.nova.state.ComputeService(UUID.randomUUID(), "compute1", true,
                Optional.empty(), false, true, Optional.of(report)));
        nova.evacuations.add(Outcome.COMPLETED);

        long began = System.nanoTime();
        MoveState move = controller().start(FAILOVER);

        assertThat(Duration.ofNanos(System.nanoTime() - began)).isGreaterThanOrEqualTo(Duration.ofMillis(250));
        assertThat(move.status()).isEqualTo(MoveState.Status.DONE);
        assertThat(nova.calls.stream().filter(c -> c.startsWith("computeService")).count()).isGreaterThan(1);
    }

    @Test
    void anEvacuationUnresolvedIsFollowedAfterARestartFromItsStepNeverFencedOrStagedAgain() {
        nova.service("compute1", false, Instant.now().minusSeconds(30));
        nova.evacuations.add(Outcome.UNRESOLVED);
        MoveState first = controller().start(FAILOVER);
        assertThat(first.status()).isEqualTo(MoveState.Status.IN_FLIGHT);
        assertThat(first.nextStep()).contains(Step.EVACUATE);
        assertThat(first.attempted()).isTrue();
        assertThatThrownBy(() -> controller().start(FAILOVER)).isInstanceOf(MoveConflictException.class)
                .hasMessageContaining("in flight since").hasMessageContaining("next evacuate");

        nova.calls.clear();
        agents.calls.clear();
        nova.evacuations.add(Outcome.COMPLETED);
        List<MoveState> resumed = controller().resumeAll();

        assertThat(resumed).singleElement().satisfies(m -> assertThat(m.status()).isEqualTo(MoveState.Status.DONE));
        assertThat(nova.calls).first().isEqualTo("evacuate compute2 fenced compute1");
        assertThat(nova.calls).noneMatch(c -> c.startsWith("computeService"));
        assertThat(agents.calls).noneMatch(c -> c.startsWith("stage"));
        assertThat(nova.proofs).hasSize(2).allMatch(p -> p.equals(nova.proofs.get(0)));
    }

    @Test
    void aFailedEvacuationHoldsTheVmForAnOperator() {
        nova.service("compute1", false, Instant.now().minusSeconds(30));
        nova.evacuations.add(Outcome.FAILED);

        MoveState move = controller().start(FAILOVER);

        assertThat(move.status()).isEqualTo(MoveState.Status.NEEDS_OPERATOR);
        assertThat(move.blocked()).isFalse();
        assertThat(nova.calls).containsSubsequence("forceDown compute1", "evacuate compute2 fenced compute1");
        assertThat(journal().open(VM)).get().satisfies(m -> assertThat(m.holdReason()).contains("needs an operator"));
        assertThat(controller().resumeAll()).as("not resumed: held until an operator looks").isEmpty();
        assertThat(journal().close(VM)).isTrue();
        assertThat(journal().open()).isEmpty();
    }

    @Test
    void aMoveRunningInThisControllerIsNotFollowedASecondTimeBesideIt() throws Exception {
        CountDownLatch migrating = new CountDownLatch(1);
        CountDownLatch resumedMeanwhile = new CountDownLatch(1);
        nova.whileMigrating = () -> {
            migrating.countDown();
            try {
                resumedMeanwhile.await(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        };
        nova.liveMigrations.add(Outcome.COMPLETED);
        Mover mover = controller();
        // As the API runs a move, beside the rounds.
        CompletableFuture<MoveState> asked = CompletableFuture.supplyAsync(() -> mover.start(LIVE));
        assertThat(migrating.await(5, TimeUnit.SECONDS)).isTrue();

        List<MoveState> resumed = mover.resumeAll();
        long claim = journal().claims().get(VM);
        assertThatThrownBy(() -> mover.start(LIVE)).isInstanceOf(MoveConflictException.class)
                .hasMessageContaining("runs in this controller now");
        assertThat(journal().claims().get(VM)).as("the running move keeps its claim").isEqualTo(claim);
        resumedMeanwhile.countDown();

        assertThat(resumed).singleElement().satisfies(m -> assertThat(m.nextStep()).contains(Step.MIGRATE));
        assertThat(asked.get(5, TimeUnit.SECONDS).status()).isEqualTo(MoveState.Status.DONE);
        assertThat(nova.calls).as("Nova asked once, never followed beside it").doesNotContain("followLiveMigration")
                .filteredOn(c -> c.startsWith("liveMigrate")).hasSize(1);
    }

    @Test
    void aRestartMidLiveMigrationFollowsWhatNovaHasInsteadOfAskingAgain() {
        nova.liveMigrations.add(Outcome.UNRESOLVED);
        MoveState first = controller().start(LIVE);
        assertThat(first.nextStep()).contains(Step.MIGRATE);

        nova.follows.add(Optional.of(Outcome.COMPLETED));
        MoveState resumed = controller().resumeAll().get(0);

        assertThat(resumed.status()).isEqualTo(MoveState.Status.DONE);
        assertThat(nova.calls.stream().filter(c -> c.startsWith("liveMigrate"))).hasSize(1);
        assertThat(nova.calls).contains("followLiveMigration");
    }

    @Test
    void aLiveMigrationAskedBeforeARestartThatNovaNoLongerHasIsJudgedByWhereTheServerIs() {
        nova.liveMigrations.add(Outcome.UNRESOLVED);
        controller().start(LIVE);
        nova.follows.add(Optional.empty());
        nova.server(VM, "compute1");

        MoveState resumed = controller().resumeAll().get(0);

        assertThat(resumed.status()).isEqualTo(MoveState.Status.STOPPED);
        assertThat(resumed.lastNote()).startsWith("the live migration asked before ended without moving it");
        assertThat(nova.calls.stream().filter(c -> c.startsWith("liveMigrate"))).hasSize(1);
    }

    @Test
    void aControllerStoppedBetweenTheMarkAndTheAnswerFollowsTheStep() throws Exception {
        // What the journal holds when the controller died while Nova was asked: the step marked attempted.
        MoveState marked = MoveState.begin(LIVE, Instant.now()).advance(Step.SYNC,
                StepResult.agents(StepResult.Result.DONE, "synced", 1), Instant.now(), Duration.ZERO)
                .attempting(Instant.now());
        journal().begin(marked);
        nova.follows.add(Optional.of(Outcome.COMPLETED));

        MoveState resumed = controller().resumeAll().get(0);

        assertThat(resumed.status()).isEqualTo(MoveState.Status.DONE);
        assertThat(nova.calls).doesNotContain("liveMigrate compute2").contains("followLiveMigration");
        assertThat(Files.list(dir.resolve("moves")).filter(p -> p.toString().endsWith(".partial"))).isEmpty();
    }

    @ParameterizedTest
    @EnumSource(value = Outcome.class, names = {"FAILED", "REFUSED", "UNRESOLVED"})
    void theOldPrimarysRoundsAreHeldBeforeNovaIsAskedAndReleasedOnlyWhenTheMoveEndedElsewise(Outcome outcome) {
        List<String> heldWhenAsked = new ArrayList<>();
        nova.whileMigrating = () -> heldWhenAsked.addAll(agents.calls);
        nova.liveMigrations.add(outcome);

        MoveState move = controller().start(LIVE);

        assertThat(heldWhenAsked).as("a round's backup job would fail Nova's migration")
                .containsExactly("hold compute1 after a round");
        // Nova may still be migrating a move that is followed later: the hold stays until it ends.
        assertThat(agents.calls).as(move.summary()).containsExactlyElementsOf(outcome == Outcome.UNRESOLVED
                ? List.of("hold compute1 after a round") : List.of("hold compute1 after a round", "release compute1"));
    }

    @Test
    void theSecondariesAreToldAtOnceAndThePrimaryOnlyAfterBoth() {
        CountDownLatch bothSecondaries = new CountDownLatch(2);
        agents.whileProtecting = host -> {
            if (agents.protections.containsKey(host) || host.equals("compute2")) {
                return;
            }
            bothSecondaries.countDown();
            try {
                if (!bothSecondaries.await(5, TimeUnit.SECONDS)) {
                    throw new IOException("the other secondary was not told at the same time");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        };
        nova.liveMigrations.add(Outcome.COMPLETED);

        MoveState move = controller().start(LIVE);

        assertThat(move.steps().get(2).result()).as(move.steps().get(2).note()).isEqualTo(StepResult.Result.DONE);
        assertThat(agents.calls).last().isEqualTo("protect compute2 PRIMARY [compute1, compute3]");
    }

    @Test
    void theJournalRecordsTheRepeatableStepsAndTheLiveMigrationsEndWithItsNextWrite() {
        List<MoveState> saved = new ArrayList<>();
        List<String> claimed = new ArrayList<>();
        nova.liveMigrations.add(Outcome.COMPLETED);

        MoveState move = controller(FENCED, counting(journal(), saved, claimed, "")).start(LIVE);

        assertThat(move.status()).isEqualTo(MoveState.Status.DONE);
        assertThat(saved).as("the live migration marked; the sync with its mark, its end and the roles with the"
                + " move's end").extracting(m -> m.steps().size() + " " + m.attempted())
                .containsExactly("1 true", "3 false");
        assertThat(claimed).as("claimed as it began (which covers the sync), then before Nova is asked; the"
                + " roles, sent twice harmlessly, not").containsExactly("begin", "live migration");
    }

    @Test
    void aControllerStoppedAfterTheRolesWereSentLearnsFromNovaThatTheMigrationEndedAndSendsThemAgain() {
        nova.liveMigrations.add(Outcome.COMPLETED);
        Mover stopping = controller(FENCED, counting(journal(), new ArrayList<>(), new ArrayList<>(), AT_THE_END));

        assertThatThrownBy(() -> stopping.start(LIVE)).isInstanceOf(Stopped.class);
        assertThat(journal().open(VM)).as("the migration's end and the roles sent, neither journaled yet").get()
                .satisfies(m -> assertThat(m.nextStep()).contains(Step.MIGRATE))
                .satisfies(m -> assertThat(m.attempted()).isTrue());

        agents.calls.clear();
        nova.follows.add(Optional.empty());
        nova.server(VM, "compute2");
        MoveState resumed = controller().resumeAll().get(0);

        assertThat(resumed.status()).as(resumed.summary()).isEqualTo(MoveState.Status.DONE);
        assertThat(resumed.steps()).extracting(StepRecord::step)
                .containsExactly(Step.SYNC, Step.MIGRATE, Step.REDESIGNATE);
        assertThat(agents.calls).contains("protect compute2 PRIMARY [compute1, compute3]");
        assertThat(nova.calls.stream().filter(c -> c.startsWith("liveMigrate"))).as("never asked again").hasSize(1);
        assertThat(nova.calls).contains("followLiveMigration");
        assertThat(resumed.steps().get(1).note()).startsWith("the live migration asked before ended");
    }

    /** The controller stopping at once, as a killed process would. */
    private static final class Stopped extends Error {
        Stopped(String what) {
            super("stopped before " + what);
        }
    }

    /** For {@link #counting}: the controller stops before it journals the move's end. */
    private static final String AT_THE_END = "(the move's end)";

    /**
     * JOURNAL, keeping each move it saves in SAVED; it stops the controller at a claim for what
     * starts with STOP_AT, or before it saves an ended move when STOP_AT is {@link #AT_THE_END}.
     */
    private static Journal counting(Journal journal, List<MoveState> saved, List<String> claimed, String stopAt) {
        return new Journal() {
            @Override
            public void begin(MoveState move) {
                journal.begin(move);
            }

            @Override
            public Map<UUID, Long> claims() {
                return journal.claims();
            }

            @Override
            public OptionalLong claim(UUID vm, long seen, String what, Instant at) {
                if (!stopAt.isEmpty() && what.startsWith(stopAt)) {
                    throw new Stopped(what);
                }
                claimed.add(what.substring(0, what.indexOf(" ")).equals("begin") ? "begin"
                        : what.substring(0, what.indexOf(" of ")));
                return journal.claim(vm, seen, what, at);
            }

            @Override
            public OptionalLong claimAndSave(long seen, String what, MoveState move) {
                if (!stopAt.isEmpty() && what.startsWith(stopAt)) {
                    throw new Stopped(what);
                }
                claimed.add(what.substring(0, what.indexOf(" of ")));
                saved.add(move);
                return journal.claimAndSave(seen, what, move);
            }

            @Override
            public void save(MoveState move) {
                if (stopAt.equals(AT_THE_END) && move.status() != MoveState.Status.IN_FLIGHT) {
                    throw new Stopped(stopAt);
                }
                saved.add(move);
                journal.save(move);
            }

            @Override
            public List<MoveState> open() {
                return journal.open();
            }

            @Override
            public boolean close(UUID vm) {
                return journal.close(vm);
            }
        };
    }
}
