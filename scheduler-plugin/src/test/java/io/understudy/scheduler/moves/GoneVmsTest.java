package io.understudy.scheduler.moves;

import static org.assertj.core.api.Assertions.assertThat;

import io.understudy.scheduler.moves.GoneVms.Gone;
import io.understudy.scheduler.moves.GoneVms.Plan;
import io.understudy.scheduler.records.FileRecords;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Releasing the VMs Nova deleted: what to release is a plain function of the designations, the
 * listing, the times gone, now and the grace; then the rounds themselves against in-memory agents
 * and the records in a folder, each round with its parts made anew (what a restart or a standby
 * controller makes).
 */
class GoneVmsTest {

    private static final UUID VM = UUID.fromString("6f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9");
    private static final UUID OTHER = UUID.fromString("0a1b2c3d-4e5f-4607-8819-2a3b4c5d6e7f");
    private static final Duration GRACE = Duration.ofHours(1);
    private static final Instant T0 = Instant.parse("2026-12-07T08:00:00Z");

    @TempDir
    Path dir;

    private final FakeMoveAgents agents = new FakeMoveAgents().holds("compute2", 1.5).holds("compute3", 2.5);

    private static Map<UUID, Gone> gone(Gone... records) {
        Map<UUID, Gone> out = new HashMap<>();
        for (Gone g : records) {
            out.put(g.vm(), g);
        }
        return out;
    }

    @Test
    void aDesignatedVmMissingFromTheListingIsFirstOnlyRemembered() {
        Plan p = GoneVms.plan(Set.of(VM, OTHER), Map.of(), Set.of(OTHER), Set.of(), T0, GRACE);
        assertThat(p).isEqualTo(new Plan(Set.of(VM), Set.of(), Set.of()));
    }

    @Test
    void itIsReleasedOnlyOnceGoneLongerThanTheGrace() {
        Map<UUID, Gone> since = gone(new Gone(VM, T0, Set.of()));
        assertThat(GoneVms.plan(Set.of(VM), since, Set.of(), Set.of(), T0.plus(GRACE), GRACE))
                .isEqualTo(new Plan(Set.of(), Set.of(), Set.of()));
        assertThat(GoneVms.plan(Set.of(VM), since, Set.of(), Set.of(), T0.plus(GRACE).plusSeconds(1), GRACE))
                .isEqualTo(new Plan(Set.of(), Set.of(), Set.of(VM)));
    }

    @Test
    void aVmListedAgainIsForgottenEvenWhenItsReleaseHadBegun() {
        assertThat(GoneVms.plan(Set.of(VM), gone(new Gone(VM, T0, Set.of())), Set.of(VM), Set.of(), T0.plus(GRACE
                .multipliedBy(3)), GRACE)).isEqualTo(new Plan(Set.of(), Set.of(VM), Set.of()));
        // Placement assigns a listed VM afresh in the same round: releasing it would undo that.
        assertThat(GoneVms.plan(Set.of(VM), gone(new Gone(VM, T0, Set.of("compute3"))), Set.of(VM), Set.of(),
                T0.plus(GRACE.multipliedBy(3)), GRACE)).isEqualTo(new Plan(Set.of(), Set.of(VM), Set.of()));
    }

    @Test
    void aVmWithAnOpenMoveIsLeftAloneWhateverNovaLists() {
        Map<UUID, Gone> since = gone(new Gone(VM, T0, Set.of()), new Gone(OTHER, T0, Set.of("compute2")));
        assertThat(GoneVms.plan(Set.of(VM, OTHER), since, Set.of(), Set.of(VM, OTHER), T0.plus(GRACE.multipliedBy(2)),
                GRACE)).isEqualTo(new Plan(Set.of(), Set.of(), Set.of()));
        assertThat(GoneVms.plan(Set.of(VM), Map.of(), Set.of(), Set.of(VM), T0, GRACE))
                .isEqualTo(new Plan(Set.of(), Set.of(), Set.of()));
    }

    @Test
    void aReleaseWithHostsLeftGoesOnAndARecordWithoutDesignationOrHostsIsForgotten() {
        Map<UUID, Gone> since = gone(new Gone(VM, T0, Set.of("compute3")), new Gone(OTHER, T0, Set.of()));
        assertThat(GoneVms.plan(Set.of(), since, Set.of(), Set.of(), T0.plusSeconds(1), GRACE))
                .isEqualTo(new Plan(Set.of(), Set.of(OTHER), Set.of(VM)));
    }

    /** This controller's parts at AT, made anew from the folder. */
    private GoneVms goneVms(Instant at) {
        return new GoneVms(designator(), agents, new FileRecords(dir), GRACE, Clock.fixed(at, ZoneOffset.UTC));
    }

    private Designator designator() {
        return new Designator(agents, new FileRecords(dir));
    }

    private void designate() {
        designator().assign(VM, "compute1", List.of("compute2", "compute3"), Duration.ofSeconds(30), false);
        agents.calls.clear();
    }

    @Test
    void afterTheGraceEveryHostIsToldItHasNoPartAndDeletesItsReplicaAndTheDesignationGoes() {
        designate();
        goneVms(T0).round(Set.of(OTHER), Set.of());
        goneVms(T0.plus(Duration.ofMinutes(30))).round(Set.of(OTHER), Set.of());
        assertThat(agents.calls).as("nothing is told within the grace").isEmpty();
        assertThat(designator().assigned(VM)).isPresent();
        assertThat(new FileRecords(dir).get(GoneVms.KIND, VM.toString())).as("remembered, where a standby reads it")
                .isPresent();

        goneVms(T0.plus(GRACE).plusSeconds(60)).round(Set.of(OTHER), Set.of());

        assertThat(agents.calls).containsExactly("unprotect compute1", "deleteReplica compute1", "unprotect compute2",
                "deleteReplica compute2", "unprotect compute3", "deleteReplica compute3");
        assertThat(agents.protections).isEmpty();
        assertThat(agents.lags).isEmpty();
        assertThat(designator().designated()).isEmpty();
        assertThat(new FileRecords(dir).get(GoneVms.KIND, VM.toString())).isEmpty();
        agents.calls.clear();
        goneVms(T0.plus(GRACE.multipliedBy(2))).round(Set.of(OTHER), Set.of());
        assertThat(agents.calls).as("released once").isEmpty();
    }

    @Test
    void aVmListedAgainWithinTheGraceLosesNothingAndIsCountedAfreshWhenGoneAgain() {
        designate();
        goneVms(T0).round(Set.of(), Set.of());
        goneVms(T0.plus(Duration.ofMinutes(50))).round(Set.of(VM), Set.of());
        assertThat(new FileRecords(dir).get(GoneVms.KIND, VM.toString())).isEmpty();

        goneVms(T0.plus(Duration.ofMinutes(55))).round(Set.of(), Set.of());
        goneVms(T0.plus(GRACE).plusSeconds(60)).round(Set.of(), Set.of());

        assertThat(agents.calls).isEmpty();
        assertThat(designator().assigned(VM)).isPresent();
    }

    @Test
    void aHostNotReachedIsToldInALaterRoundAndOnlyIt() {
        designate();
        goneVms(T0).round(Set.of(), Set.of());
        agents.away.add("compute3");

        goneVms(T0.plus(GRACE).plusSeconds(60)).round(Set.of(), Set.of());

        assertThat(agents.protections).containsOnlyKeys("compute3");
        assertThat(designator().designated()).as("no placement round assigns it again").isEmpty();
        assertThat(new FileRecords(dir).get(GoneVms.KIND, VM.toString())).isPresent();
        agents.calls.clear();
        goneVms(T0.plus(GRACE).plusSeconds(120)).round(Set.of(), Set.of());
        assertThat(agents.calls).containsExactly("unprotect compute3");

        agents.away.clear();
        agents.calls.clear();
        goneVms(T0.plus(GRACE).plusSeconds(180)).round(Set.of(), Set.of());
        assertThat(agents.calls).containsExactly("unprotect compute3", "deleteReplica compute3");
        assertThat(agents.protections).isEmpty();
        assertThat(agents.lags).isEmpty();
        assertThat(new FileRecords(dir).get(GoneVms.KIND, VM.toString())).isEmpty();
    }

    @Test
    void theHostsStillToBeToldTheyHadNoPartAreReleasedToo() {
        designate();
        agents.away.add("compute3");
        designator().assign(VM, "compute1", List.of("compute2", "compute4"), Duration.ofSeconds(30), false);
        assertThat(designator().assigned(VM).orElseThrow().unremoved()).containsExactly("compute3");
        agents.away.clear();
        agents.calls.clear();

        goneVms(T0).round(Set.of(), Set.of());
        goneVms(T0.plus(GRACE).plusSeconds(1)).round(Set.of(), Set.of());

        assertThat(agents.calls).filteredOn(c -> c.startsWith("unprotect")).containsExactly("unprotect compute1",
                "unprotect compute2", "unprotect compute3", "unprotect compute4");
    }

    @Test
    void aVmWithAnOpenMoveKeepsItsPartsPastTheGrace() {
        designate();
        goneVms(T0).round(Set.of(), Set.of());
        goneVms(T0.plus(GRACE.multipliedBy(2))).round(Set.of(), Set.of(VM));
        assertThat(agents.calls).isEmpty();
        assertThat(designator().assigned(VM)).isPresent();
    }
}
