package io.understudy.scheduler.moves;

import io.understudy.scheduler.records.FileRecords;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.understudy.nova.action.Fenced;
import io.understudy.nova.action.MoveResult.Outcome;
import io.understudy.nova.state.ComputeService;
import io.understudy.nova.state.Migration;
import io.understudy.scheduler.moves.ForcedDownHosts.State;
import io.understudy.scheduler.placement.PlacementChange;
import io.understudy.scheduler.round.FailedHosts;
import io.understudy.scheduler.testing.TestMetrics;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Bringing back a host a failover forced down: forced_down kept while Nova's evacuation record is
 * only "done", lifted once it is "completed", the roles sent again; a restarted controller goes
 * on; hosts that are not ours, or not back, are left alone — against in-memory Nova and agents.
 */
class BringBackTest {

    private static final UUID VM = UUID.fromString("0b5c1f3e-8d2a-4c6b-9e7f-1a2b3c4d5e6f");
    private static final MovePlan FAILOVER = new MovePlan(VM, MoveKind.FAILOVER, "compute1", "compute2",
            List.of("compute2", "compute3"), Duration.ofSeconds(30), "host failed");
    private static final Fencer FENCED = (host, vm) -> Fencer.Fence.done(new Fenced(host, "test: powered off",
            Instant.now()), host + " fenced", 0, 0);

    @TempDir
    Path dir;

    private final FakeNovaMoves nova = new FakeNovaMoves();
    private final FakeMoveAgents agents = new FakeMoveAgents().holds("compute2", 1.5).holds("compute3", 2.5);
    private Set<String> failed = Set.of();

    @BeforeEach
    void cloud() {
        Instant now = Instant.now();
        nova.service("compute1", false, now.minusSeconds(30)).service("compute2", true, now)
                .service("compute3", true, now);
    }

    /** A controller's parts made anew from the data directory: what a restart makes. */
    private Designator designator() {
        return new Designator(agents, new FileRecords(dir));
    }

    private ForcedDownHosts forcedDown() {
        return new ForcedDownHosts(new FileRecords(dir));
    }

    private RecordJournal journal() {
        return new RecordJournal(new FileRecords(dir));
    }

    private FenceConfirmations confirmations() {
        return new FenceConfirmations(new FileRecords(dir), Duration.ofMinutes(30));
    }

    private BringBack bringBack() {
        FailedHosts detection = () -> failed;
        return new BringBack(forcedDown(), nova, agents, designator(), journal(), confirmations(), detection,
                Clock.systemUTC());
    }

    /** compute1 dies, its VM fails over to compute2 (compute1's role change cannot reach it), and Nova's record is "done". */
    private void failedOver() {
        agents.away.add("compute1");
        nova.evacuations.add(Outcome.COMPLETED);
        Fencers fencers = new Fencers(Map.of(), FENCED, confirmations(), agents, TestMetrics.fresh(), Clock.systemUTC());
        MoveState move = new Mover(new MoveSteps(nova, agents, fencers, designator(), forcedDown(), true, Duration.ofMinutes(5),
                Clock.systemUTC()), journal(), TestMetrics.fresh(), Clock.systemUTC()).start(FAILOVER);
        assertThat(move.status()).as(move.summary()).isEqualTo(MoveState.Status.DONE);
        assertThat(designator().assigned(VM).orElseThrow().undelivered()).containsExactly("compute1");
        nova.evacuation(VM, "compute1", "compute2", Migration.DONE);
        nova.calls.clear();
        agents.calls.clear();
    }

    @Test
    void forcedDownIsKeptUntilTheEvacuationIsCompletedThenLiftedAndTheRolesSentAgain() {
        failedOver();

        assertThat(bringBack().round()).containsExactly("host compute1 AWAY: its agent does not answer at "
                + "http://compute1:9797");
        assertThat(nova.calls).isEmpty();

        agents.away.remove("compute1");
        agents.calls.clear();
        List<String> early = bringBack().round();

        assertThat(early).singleElement().asString().startsWith("host compute1 RETURNING: forced_down kept until its "
                + "nova-compute has restarted and cleaned up after evacuation 1 compute1 -> compute2 done of vm " + VM);
        assertThat(nova.calls).doesNotContain("liftForcedDown compute1");
        assertThat(nova.services.get("compute1").forcedDown()).isTrue();
        assertThat(agents.calls).containsExactly("health compute1");

        assertThat(bringBack().round()).as("retried each round; no news, no line").isEmpty();
        assertThat(nova.calls).contains("evacuationsFrom compute1").doesNotContain("liftForcedDown compute1");
        assertThat(forcedDown().get("compute1").orElseThrow().state()).isEqualTo(State.RETURNING);

        nova.evacuation(VM, "compute1", "compute2", Migration.COMPLETED);
        agents.calls.clear();
        List<String> back = bringBack().round();

        assertThat(back).containsExactly("host compute1 BACK: forced_down lifted, enabled; secondary of " + VM
                + " (primary compute2)");
        assertThat(nova.calls).contains("liftForcedDown compute1");
        assertThat(nova.services.get("compute1").forcedDown()).isFalse();
        assertThat(agents.calls).hasSize(4).startsWith("health compute1")
                .endsWith("protect compute2 PRIMARY [compute1, compute3]");
        assertThat(agents.calls.subList(1, 3)).as("the secondaries told at once")
                .containsExactlyInAnyOrder("protect compute1 SECONDARY [compute2]",
                        "protect compute3 SECONDARY [compute2]");
        assertThat(designator().assigned(VM).orElseThrow().undelivered()).isEmpty();
        assertThat(forcedDown().get("compute1").orElseThrow().state()).isEqualTo(State.BACK);

        nova.calls.clear();
        assertThat(bringBack().round()).as("a host back is not looked at again").isEmpty();
        assertThat(nova.calls).isEmpty();
    }

    @Test
    void aRestartedControllerGoesOnFromWhatNovaAndTheAgentsSay() {
        failedOver();
        agents.away.remove("compute1");
        assertThat(bringBack().round()).singleElement().asString().contains("RETURNING: forced_down kept");

        // Restarted: the evacuation completed meanwhile; the new primary's agent does not answer.
        nova.evacuation(VM, "compute1", "compute2", Migration.COMPLETED);
        agents.away.add("compute2");
        List<String> lifted = bringBack().round();

        assertThat(lifted).singleElement().asString().startsWith("host compute1 RETURNING: forced_down lifted, enabled; roles "
                + "not delivered for " + VM + ": compute2: http://compute2:9797: connection refused");
        assertThat(nova.services.get("compute1").forcedDown()).isFalse();

        // Restarted again, compute2 answering: nothing lifted twice, the roles delivered.
        agents.away.remove("compute2");
        nova.calls.clear();
        assertThat(bringBack().round()).containsExactly("host compute1 BACK: forced_down lifted, enabled; secondary of " + VM
                + " (primary compute2)");
        assertThat(nova.calls).containsExactly("computeService compute1");
        assertThat(agents.protections.get("compute1").peers()).extracting(p -> p.host()).containsExactly("compute2");
        assertThat(agents.protections.get("compute2").peers()).extracting(p -> p.host())
                .containsExactlyInAnyOrder("compute1", "compute3");
    }

    @Test
    void theFailoverDisablesTheHostWithItsReasonAndBringingItBackEnablesIt() {
        failedOver();

        ComputeService disabled = nova.services.get("compute1");
        assertThat(disabled.enabled()).isFalse();
        assertThat(disabled.disabledReason()).get().asString().matches("Understudy: failover of " + VM
                + " compute1 -> compute2 at \\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ");
        assertThat(forcedDown().get("compute1").orElseThrow().statusBefore()).contains("enabled");

        agents.away.remove("compute1");
        nova.evacuation(VM, "compute1", "compute2", Migration.COMPLETED);

        assertThat(bringBack().round()).singleElement().asString().startsWith("host compute1 BACK: forced_down "
                + "lifted, enabled;");
        assertThat(nova.services.get("compute1")).extracting(ComputeService::forcedDown, ComputeService::enabled)
                .containsExactly(false, true);
    }

    @Test
    void anOperatorsDisableFromBeforeTheFailoverIsRecordedAndLeftAlone() {
        nova.disabled("compute1", Optional.of("RAM replaced, ticket 42"));
        failedOver();

        assertThat(nova.services.get("compute1").disabledReason()).contains("RAM replaced, ticket 42");
        assertThat(forcedDown().get("compute1").orElseThrow().statusBefore())
                .contains("disabled: RAM replaced, ticket 42");

        agents.away.remove("compute1");
        nova.evacuation(VM, "compute1", "compute2", Migration.COMPLETED);

        assertThat(bringBack().round()).containsExactly("host compute1 BACK: forced_down lifted, left disabled: "
                + "RAM replaced, ticket 42 (not Understudy's); secondary of " + VM + " (primary compute2)");
        assertThat(nova.services.get("compute1")).extracting(ComputeService::forcedDown, ComputeService::enabled)
                .containsExactly(false, false);
    }

    @Test
    void aDisableOfOursLeftAfterForcedDownWasLiftedIsLiftedToo() {
        failedOver();
        agents.away.remove("compute1");
        // Someone lifted forced_down by hand; the failover's disable stays until Understudy lifts it.
        nova.forcedDown("compute1", false);

        assertThat(bringBack().round()).singleElement().asString().startsWith("host compute1 BACK: forced_down "
                + "lifted, enabled;");
        assertThat(nova.calls).contains("liftForcedDown compute1");
        assertThat(nova.services.get("compute1").enabled()).isTrue();
    }

    @Test
    void aRecordFromBeforeStatusesWereRecordedReadsBackWithoutOne() throws Exception {
        Files.createDirectories(dir.resolve("forced-down"));
        Files.writeString(dir.resolve("forced-down/compute1.json"), "{\"host\": \"compute1\", \"forcedAt\": "
                + "\"2026-11-29T09:00:00Z\", \"vms\": [\"" + VM + "\"], \"state\": \"AWAY\", \"note\": \"forced down\", "
                + "\"updatedAt\": \"2026-11-29T09:00:00Z\"}");

        assertThat(forcedDown().get("compute1").orElseThrow().statusBefore()).isEmpty();
    }

    @Test
    void aHostNoFailoverOfOursForcedDownIsNotTouched() {
        nova.forcedDown("compute1", true);
        nova.evacuation(VM, "compute1", "compute2", Migration.COMPLETED);

        assertThat(bringBack().round()).isEmpty();
        assertThatThrownBy(() -> bringBack().host("compute1")).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("host compute1: not forced down by a failover of this controller (no record in its data "
                        + "directory), so not ours to bring back");
        assertThat(nova.calls).isEmpty();
        assertThat(agents.calls).isEmpty();
        assertThat(nova.services.get("compute1").forcedDown()).isTrue();
    }

    @Test
    void aHostWhoseVmWasNeverEvacuatedGetsItsForcedDownLiftedAndNoRoles() {
        agents.away.add("compute1");
        agents.away.add("compute2");
        Fencers fencers = new Fencers(Map.of(), FENCED, confirmations(), agents, TestMetrics.fresh(), Clock.systemUTC());
        MoveState move = new Mover(new MoveSteps(nova, agents, fencers, designator(), forcedDown(), true, Duration.ofMinutes(5),
                Clock.systemUTC()), journal(), TestMetrics.fresh(), Clock.systemUTC()).start(FAILOVER);
        assertThat(move.status()).as("staging on compute2 failed").isEqualTo(MoveState.Status.STOPPED);
        agents.away.clear();
        agents.calls.clear();

        assertThat(bringBack().round()).containsExactly("host compute1 BACK: forced_down lifted, enabled; no VM "
                + "of it evacuated");
        assertThat(nova.services.get("compute1").forcedDown()).isFalse();
        assertThat(agents.calls).containsExactly("health compute1");
    }

    @Test
    void aHostFencedByHandOrStillFailedIsLeftAlone() {
        failedOver();
        nova.evacuation(VM, "compute1", "compute2", Migration.COMPLETED);
        agents.away.remove("compute1");
        failed = Set.of("compute1");

        assertThat(bringBack().round()).containsExactly("host compute1 AWAY: failure detection has it failed");

        failed = Set.of();
        Instant confirmed = Instant.now();
        confirmations().record(new FenceConfirmations.Confirmation("compute1", confirmed, "ops", "cords pulled"));

        assertThat(bringBack().round()).containsExactly("host compute1 AWAY: fenced by hand by ops at " + confirmed
                + ": left alone until 'understudy fence withdraw compute1'");
        assertThat(nova.calls).isEmpty();
        assertThat(agents.calls).isEmpty();
        assertThat(nova.services.get("compute1")).extracting(ComputeService::forcedDown).isEqualTo(true);
    }

    @Test
    void placementKeepsAHostNotBackAmongTheSecondariesOfTheVmEvacuatedAwayFromIt() {
        failedOver();
        // Placement sees no replica on compute1 while its agent is silent, and adds compute3 only.
        PlacementChange change = new PlacementChange(VM, "vm", "compute2", List.of("compute3"), List.of(),
                List.of(), List.of());

        new PlacementAssignments(designator(), journal(), forcedDown(), new GoneVms(designator(), agents,
                new FileRecords(dir), Duration.ofHours(1), Clock.systemUTC())).send(List.of(change), Set.of(VM),
                Duration.ofSeconds(30));

        assertThat(designator().assigned(VM).orElseThrow().secondaries()).containsExactly("compute1", "compute3");
        assertThat(designator().assigned(VM).orElseThrow().unremoved()).isEmpty();
        assertThat(agents.calls).doesNotContain("unprotect compute1");
    }
}
