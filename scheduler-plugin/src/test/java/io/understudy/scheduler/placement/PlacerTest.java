package io.understudy.scheduler.placement;

import static org.assertj.core.api.Assertions.assertThat;

import io.understudy.scheduler.evaluate.Breaches;
import io.understudy.scheduler.evaluate.Evaluation;
import io.understudy.scheduler.evaluate.Evaluator;
import io.understudy.scheduler.rules.RulesParser;
import io.understudy.scheduler.stats.HostSample;
import io.understudy.scheduler.stats.Parameter;
import io.understudy.scheduler.stats.ProtectedVm;
import io.understudy.scheduler.stats.Replica;
import io.understudy.scheduler.testing.Samples;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class PlacerTest {

    private static final Instant NOW = Instant.parse("2026-11-29T06:00:00Z");
    private static final UUID VM = new UUID(0, 1);

    private static List<PlacementChange> place(String rules, List<HostSample> hosts, ProtectedVm... vms) {
        Evaluation e = new Evaluator().evaluate(hosts, new RulesParser().parse(rules, "t.yaml"), Map.of(), Set.of(), NOW,
                Breaches.NONE);
        return new Placer().place(e, List.of(vms));
    }

    private static ProtectedVm vm(String primary, int diskGib, Replica... replicas) {
        return new ProtectedVm(VM, "db", primary, "m1", diskGib, Map.of(), Map.of(), List.of(replicas));
    }

    @Test
    void addsHostsInRangeWithRoomNeverThePrimaryNorAMuteOrBreachedHost() {
        List<HostSample> hosts = List.of(
                Samples.host("a").build(),
                Samples.host("busy").set(Parameter.CPU_PERCENT, 95).build(),
                Samples.host("mute").set(Parameter.AGENT_REACHABLE, false).build(),
                Samples.host("small").set(Parameter.DISK_FREE_GIB, 5).build(),
                Samples.host("idle").set(Parameter.CPU_PERCENT, 1).build(),
                Samples.host("mid").set(Parameter.CPU_PERCENT, 50).build());
        PlacementChange c = place("rules: [{parameter: cpu_percent, max: 90}]", hosts, vm("a", 20)).get(0);
        assertThat(c.added()).containsExactly("idle", "mid");
        assertThat(c.secondaries()).containsExactly("idle", "mid");
        assertThat(c.dropped()).isEmpty();
    }

    @Test
    void dropsASecondaryWhoseBreachHasLastedAndReplacesIt() {
        List<HostSample> hosts = List.of(Samples.host("a").build(),
                Samples.host("b").set(Parameter.CPU_PERCENT, 99).build(),
                Samples.host("c").build(), Samples.host("d").build());
        PlacementChange c = place("policy: {replicas: 2}\nrules: [{parameter: cpu_percent, max: 90}]", hosts,
                vm("a", 1, new Replica("b", 1, 1), new Replica("c", 1, 1))).get(0);
        assertThat(c.dropped()).containsExactly("b");
        assertThat(c.added()).containsExactly("d");
        assertThat(c.secondaries()).containsExactlyInAnyOrder("c", "d");
        assertThat(c.reasons()).anyMatch(r -> r.startsWith("drop b: cpu_percent"));
    }

    @Test
    void keepsASecondaryOutOfRangeWhileNoHostInRangeCanTakeItsPlace() {
        // After a move off a host in maintenance, that host is the only other holder there is. The new
        // primary still holds the version it started from: not a secondary, nothing to drop.
        List<HostSample> hosts = List.of(Samples.host("a").build(),
                Samples.host("b").set(Parameter.CPU_PERCENT, 99).build(),
                Samples.host("c").build());
        PlacementChange c = place("policy: {replicas: 2}\nrules: [{parameter: cpu_percent, max: 90}]", hosts,
                vm("a", 1, new Replica("a", 0, 1), new Replica("b", 1, 1), new Replica("c", 1, 1))).get(0);
        assertThat(c.secondaries()).containsExactlyInAnyOrder("b", "c");
        assertThat(c.dropped()).isEmpty();
        assertThat(c.added()).isEmpty();
        assertThat(c.reasons()).anyMatch(r -> r.startsWith("only 1 of 2 secondaries in range"))
                .anyMatch(r -> r.startsWith("keep b though cpu_percent") && r.endsWith("no host in range takes its place"));

        // Never more than wanted: the one that lags most goes first; a failed host goes at once.
        List<HostSample> failing = List.of(Samples.host("a").build(),
                Samples.host("b").set(Parameter.CPU_PERCENT, 99).build(),
                Samples.host("d").set(Parameter.CPU_PERCENT, 99).build(),
                Samples.host("c").build());
        PlacementChange two = place("policy: {replicas: 2}\nrules: [{parameter: cpu_percent, max: 90}]", failing,
                vm("a", 1, new Replica("b", 9, 1), new Replica("d", 2, 1), new Replica("c", 1, 1))).get(0);
        assertThat(two.secondaries()).containsExactlyInAnyOrder("c", "d");
        assertThat(two.dropped()).containsExactly("b");

        Evaluation dFailed = new Evaluator().evaluate(failing, new RulesParser().parse(
                "policy: {replicas: 2}\nrules: [{parameter: cpu_percent, max: 90}]", "t.yaml"), Map.of(), Set.of("d"),
                NOW, Breaches.NONE);
        PlacementChange gone = new Placer().place(dFailed, List.of(vm("a", 1, new Replica("d", 2, 1), new Replica("c", 1, 1))))
                .get(0);
        assertThat(gone.secondaries()).containsExactly("c");
        assertThat(gone.dropped()).containsExactly("d");
        assertThat(gone.reasons()).anyMatch(r -> r.equals("drop d: host failed"));
    }

    @Test
    void keepsTheFreshestWhenThereAreTooManyAndSaysWhenTooFewFit() {
        List<HostSample> hosts = List.of(Samples.host("a").build(), Samples.host("b").build(),
                Samples.host("c").build(), Samples.host("d").build());
        PlacementChange c = place("policy: {replicas: 1}", hosts,
                vm("a", 1, new Replica("b", 40, 1), new Replica("c", 2, 1), new Replica("d", 9, 1))).get(0);
        assertThat(c.secondaries()).containsExactly("c");
        assertThat(c.dropped()).containsExactly("d", "b");

        PlacementChange tight = place("policy: {replicas: 3}", List.of(Samples.host("a").build(), Samples.host("b").build()),
                vm("a", 1)).get(0);
        assertThat(tight.secondaries()).containsExactly("b");
        assertThat(tight.reasons()).anyMatch(r -> r.startsWith("only 1 of 3 secondaries"));
    }

    @Test
    void diskAlreadyPromisedInThisRoundCounts() {
        List<HostSample> hosts = List.of(Samples.host("a").build(),
                Samples.host("b").set(Parameter.DISK_FREE_GIB, 30).build());
        Evaluation e = new Evaluator().evaluate(hosts, new RulesParser().parse("policy: {replicas: 1}", "t"), Map.of(),
                Set.of(), NOW, Breaches.NONE);
        List<PlacementChange> cs = new Placer().place(e, List.of(
                new ProtectedVm(new UUID(0, 1), "x", "a", "m1", 20, Map.of(), Map.of(), List.of()),
                new ProtectedVm(new UUID(0, 2), "y", "a", "m1", 20, Map.of(), Map.of(), List.of())));
        assertThat(cs.get(0).added()).containsExactly("b");
        assertThat(cs.get(1).added()).as("b has 10 GiB left").isEmpty();
    }
}
