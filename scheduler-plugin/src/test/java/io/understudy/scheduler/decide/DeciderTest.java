package io.understudy.scheduler.decide;

import static org.assertj.core.api.Assertions.assertThat;

import io.understudy.scheduler.evaluate.Breaches;
import io.understudy.scheduler.evaluate.Evaluation;
import io.understudy.scheduler.evaluate.Evaluator;
import io.understudy.scheduler.rules.MoveAction;
import io.understudy.scheduler.rules.RulesParser;
import io.understudy.scheduler.stats.HostSample;
import io.understudy.scheduler.stats.Parameter;
import io.understudy.scheduler.stats.ProtectedVm;
import io.understudy.scheduler.stats.Replica;
import io.understudy.scheduler.testing.Samples;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class DeciderTest {

    private static final Instant NOW = Instant.parse("2026-11-29T06:00:00Z");
    private static final String RULES = """
            policy: {maxReplicaLag: 60s, cooldown: 10m, maxMovesAtOnce: 2}
            rules:
              - {parameter: cpu_percent, max: 90}
              - {parameter: disk_free_gib, min: 100}
            """;

    private static final UUID VM = UUID.fromString("00000000-0000-0000-0000-000000000001");

    private final Decider decider = new Decider();

    private static ProtectedVm vm(UUID id, String primary, Replica... replicas) {
        return new ProtectedVm(id, "vm-" + id.getLeastSignificantBits(), primary, "m1.small", 10, Map.of(),
                Map.of("understudy:protect", "true"), List.of(replicas));
    }

    private static ProtectedVm vm(UUID id, String primary, Map<String, String> metadata, Replica... replicas) {
        return new ProtectedVm(id, "vm-" + id.getLeastSignificantBits(), primary, "m1.small", 10, metadata, Map.of(), List.of(replicas));
    }

    private static UUID id(int n) {
        return new UUID(0, n);
    }

    private List<Decision> decide(String rules, List<HostSample> hosts, List<ProtectedVm> vms, Set<String> failed,
            Map<UUID, Instant> lastMoves) {
        Evaluation e = new Evaluator().evaluate(hosts, new RulesParser().parse(rules, "t.yaml"), Map.of(), failed, NOW,
                Breaches.NONE);
        return decider.decide(e, vms, lastMoves, Map.of());
    }

    private Decision one(String rules, List<HostSample> hosts, ProtectedVm vm) {
        return decide(rules, hosts, List.of(vm), Set.of(), Map.of()).get(0);
    }

    private static HostSample hot(String host) {
        return Samples.host(host).set(Parameter.CPU_PERCENT, 99).build();
    }

    private static HostSample ok(String host) {
        return Samples.host(host).build();
    }

    @Test
    void aPrimaryInRangeStays() {
        Decision d = one(RULES, List.of(ok("a"), ok("b")), vm(VM, "a", new Replica("b", 1, 1)));
        assertThat(d.outcome()).isEqualTo(Outcome.STAY);
        assertThat(d.target()).isEmpty();
        assertThat(d.candidates()).isEmpty();
    }

    @Test
    void anOutOfRangePrimaryMovesToTheSecondaryWithMostHeadroomByLiveMigration() {
        HostSample busy = Samples.host("b").set(Parameter.CPU_PERCENT, 80).build();
        HostSample idle = Samples.host("c").set(Parameter.CPU_PERCENT, 5).build();
        Decision d = one(RULES, List.of(hot("a"), busy, idle), vm(VM, "a", new Replica("b", 1, 1), new Replica("c", 1, 1)));
        assertThat(d.outcome()).isEqualTo(Outcome.MOVE);
        assertThat(d.target()).contains("c");
        assertThat(d.action()).contains(MoveAction.LIVE_MIGRATE);
        assertThat(d.hard()).isFalse();
        assertThat(d.reasons()).anyMatch(r -> r.contains("cpu_percent=99 outside max 90"));
        assertThat(d.candidates()).extracting(Candidate::host).containsExactly("c", "b");
        assertThat(d.candidates().get(0).score()).isGreaterThan(d.candidates().get(1).score());
    }

    @Test
    void withEqualHeadroomTheFresherReplicaWinsThenTheHostName() {
        Decision byLag = one(RULES, List.of(hot("a"), ok("b"), ok("c")),
                vm(VM, "a", new Replica("b", 30, 1), new Replica("c", 3, 1)));
        assertThat(byLag.target()).contains("c");
        Decision byName = one(RULES, List.of(hot("a"), ok("c"), ok("b")),
                vm(VM, "a", new Replica("c", 3, 1), new Replica("b", 3, 1)));
        assertThat(byName.target()).contains("b");
    }

    @Test
    void everyIneligibleSecondarySaysWhy() {
        List<HostSample> hosts = List.of(hot("a"),
                Samples.host("stale").build(),
                Samples.host("full").set(Parameter.DISK_FREE_GIB, 10).build(),
                Samples.host("mute").set(Parameter.AGENT_REACHABLE, false).without(Parameter.CPU_PERCENT).build(),
                Samples.host("down").set(Parameter.SERVICE_UP, false).build());
        Decision d = one(RULES, hosts, vm(VM, "a", new Replica("stale", 61, 1), new Replica("full", 1, 1),
                new Replica("mute", 1, 1), new Replica("down", 1, 1), new Replica("unknown", 1, 1)));
        assertThat(d.outcome()).isEqualTo(Outcome.NO_TARGET);
        assertThat(d.reasons()).contains("no secondary is eligible");
        Map<String, List<String>> why = new java.util.HashMap<>();
        d.candidates().forEach(c -> why.put(c.host(), c.rejections()));
        assertThat(why.get("stale")).containsExactly("replica lag 61.0s > maxReplicaLag 1m");
        assertThat(why.get("full")).singleElement().asString().contains("disk_free_gib=10 outside min 100");
        assertThat(why.get("mute")).contains("agent did not answer").anyMatch(r -> r.contains("cpu_percent not measured"));
        assertThat(why.get("down")).containsExactly("nova-compute is not up");
        assertThat(why.get("unknown")).containsExactly("no values this round");
        assertThat(d.candidates()).noneMatch(Candidate::eligible);
    }

    @Test
    void aPendingBreachOnASecondaryMakesItIneligible() {
        String rules = "rules: [{parameter: cpu_percent, max: 90, for: 5m}, {parameter: disk_free_gib, min: 100}]";
        Breaches old = new Breaches(Map.of("a", Map.of("cpu_percent", NOW.minusSeconds(600))));
        Evaluation e = new Evaluator().evaluate(List.of(hot("a"), hot("b"), ok("c")),
                new RulesParser().parse(rules, "t.yaml"), Map.of(), Set.of(), NOW, old);
        Decision d = decider.decide(e, List.of(vm(VM, "a", new Replica("b", 1, 1), new Replica("c", 9, 1))), Map.of(), Map.of()).get(0);
        assertThat(d.outcome()).isEqualTo(Outcome.MOVE);
        assertThat(d.target()).contains("c");
        assertThat(d.candidates().get(1).rejections()).singleElement().asString().contains("counts after 5m");
    }

    @Test
    void aPendingBreachOnThePrimaryStaysAndSaysWhenItWouldCount() {
        String rules = "rules: [{parameter: cpu_percent, max: 90, for: 5m}]";
        Decision d = one(rules, List.of(hot("a"), ok("b")), vm(VM, "a", new Replica("b", 1, 1)));
        assertThat(d.outcome()).isEqualTo(Outcome.STAY);
        assertThat(d.reasons()).singleElement().asString().contains("counts after 5m");
    }

    @Test
    void noSecondariesAtAllIsNoTarget() {
        Decision d = one(RULES, List.of(hot("a")), vm(VM, "a"));
        assertThat(d.outcome()).isEqualTo(Outcome.NO_TARGET);
        assertThat(d.reasons()).contains("it has no secondaries");
    }

    @Test
    void aDownPrimaryIsEvacuatedAnAliveOneLiveMigrated() {
        String rules = "rules: [{parameter: service_up, equals: true}]";
        HostSample down = Samples.host("a").set(Parameter.SERVICE_UP, false).build();
        Decision d = one(rules, List.of(down, ok("b")), vm(VM, "a", new Replica("b", 1, 1)));
        assertThat(d.action()).contains(MoveAction.EVACUATE);
        assertThat(d.reasons()).contains("primary is down");
    }

    @Test
    void aPolicyOfNoneReportsWithoutMoving() {
        String rules = "policy: {whenPrimaryAlive: none}\nrules: [{parameter: cpu_percent, max: 90}]";
        Decision d = one(rules, List.of(hot("a"), ok("b")), vm(VM, "a", new Replica("b", 1, 1)));
        assertThat(d.outcome()).isEqualTo(Outcome.NO_ACTION);
        assertThat(d.target()).isEmpty();
    }

    @Test
    void aRecentlyMovedVmIsHeldByItsCooldown() {
        Decision d = decide(RULES, List.of(hot("a"), ok("b")), List.of(vm(VM, "a", new Replica("b", 1, 1))), Set.of(),
                Map.of(VM, NOW.minusSeconds(599))).get(0);
        assertThat(d.outcome()).isEqualTo(Outcome.HELD_COOLDOWN);
        Decision after = decide(RULES, List.of(hot("a"), ok("b")), List.of(vm(VM, "a", new Replica("b", 1, 1))), Set.of(),
                Map.of(VM, NOW.minusSeconds(600))).get(0);
        assertThat(after.outcome()).isEqualTo(Outcome.MOVE);
    }

    @Test
    void aFailedHostIsHardItSkipsCooldownAndForAndIsEvacuated() {
        String rules = "policy: {cooldown: 1h}\nrules: [{parameter: cpu_percent, max: 90, for: 10m}]";
        Decision d = decide(rules, List.of(ok("a"), ok("b")), List.of(vm(VM, "a", new Replica("b", 1, 1))), Set.of("a"),
                Map.of(VM, NOW.minusSeconds(60))).get(0);
        assertThat(d.outcome()).isEqualTo(Outcome.MOVE);
        assertThat(d.hard()).isTrue();
        assertThat(d.action()).contains(MoveAction.EVACUATE);
        assertThat(d.reasons()).contains("host a failed");
    }

    @Test
    void theCapHoldsMovesBeyondItAndFailedHostsGoFirst() {
        List<HostSample> hosts = List.of(hot("a"), ok("dead"), ok("t1"), ok("t2"), ok("t3"), ok("t4"));
        List<ProtectedVm> vms = List.of(
                vm(id(1), "a", new Replica("t1", 1, 1)),
                vm(id(2), "a", new Replica("t2", 1, 1)),
                vm(id(3), "dead", new Replica("t3", 1, 1)),
                vm(id(4), "a", new Replica("t4", 1, 1)));
        List<Decision> ds = decide(RULES, hosts, vms, Set.of("dead"), Map.of());
        assertThat(ds).extracting(Decision::vm).containsExactly(id(1), id(2), id(3), id(4));
        assertThat(ds).extracting(Decision::outcome)
                .containsExactly(Outcome.MOVE, Outcome.HELD_CAP, Outcome.MOVE, Outcome.HELD_CAP);
        assertThat(ds.get(1).reasons()).anyMatch(r -> r.contains("reach maxMovesAtOnce 2"));
    }

    @Test
    void movesInFlightCountAgainstTheCap() {
        Evaluation e = new Evaluator().evaluate(List.of(hot("a"), ok("b")), new RulesParser().parse(RULES, "t.yaml"),
                Map.of(), Set.of(), NOW, Breaches.NONE);
        Decision d = decider.decide(e, List.of(vm(VM, "a", new Replica("b", 1, 1))), Map.of(),
                Map.of(id(8), "a move in flight", id(9), "a move awaiting an operator")).get(0);
        assertThat(d.outcome()).isEqualTo(Outcome.HELD_CAP);
    }

    @Test
    void aVmWithAnOpenMoveIsDecidedMovingWithItsReason() {
        Evaluation e = new Evaluator().evaluate(List.of(hot("a"), ok("b")), new RulesParser().parse(RULES, "t.yaml"),
                Map.of(), Set.of(), NOW, Breaches.NONE);
        Decision d = decider.decide(e, List.of(vm(VM, "a", new Replica("b", 1, 1))), Map.of(),
                Map.of(VM, "live migration of it in flight")).get(0);
        assertThat(d.outcome()).isEqualTo(Outcome.MOVING);
        assertThat(d.target()).isEmpty();
        assertThat(d.reasons()).containsExactly("live migration of it in flight");
    }

    @Test
    void twoVmsOfOneAntiAffinityGroupNeverLandOnOneHost() {
        Map<String, String> group = Map.of("understudy:protect", "true", "understudy:anti-affinity", "db");
        List<ProtectedVm> vms = List.of(vm(id(1), "a", group, new Replica("b", 1, 1)),
                vm(id(2), "a2", group, new Replica("b", 1, 1), new Replica("c", 50, 1)));
        List<Decision> ds = decide(RULES, List.of(hot("a"), hot("a2"), ok("b"), ok("c")), vms, Set.of(), Map.of());
        assertThat(ds.get(0).target()).contains("b");
        assertThat(ds.get(1).target()).as("b is taken by its group").contains("c");
        assertThat(ds.get(1).candidates()).filteredOn(c -> c.host().equals("b")).singleElement()
                .satisfies(c -> assertThat(c.rejections()).contains("anti-affinity group db already has a VM there"));
    }

    @Test
    void movesSpreadOverEquallyGoodTargets() {
        List<ProtectedVm> vms = List.of(vm(id(1), "a", new Replica("b", 1, 1), new Replica("c", 1, 1)),
                vm(id(2), "a", new Replica("b", 1, 1), new Replica("c", 1, 1)));
        List<Decision> ds = decide(RULES, List.of(hot("a"), ok("b"), ok("c")), vms, Set.of(), Map.of());
        assertThat(ds).extracting(d -> d.target().orElseThrow()).containsExactly("b", "c");
    }

    @Test
    void aVmScopedRuleJudgesOnlyTheVmsItSelects() {
        String rules = "rules: [{parameter: cpu_percent, max: 50, appliesTo: {vms: {metadata: {tier: gold}}}}]";
        HostSample warm = Samples.host("a").set(Parameter.CPU_PERCENT, 70).build();
        ProtectedVm gold = vm(id(1), "a", Map.of("tier", "gold"), new Replica("b", 1, 1));
        ProtectedVm plain = vm(id(2), "a", Map.of(), new Replica("b", 1, 1));
        List<Decision> ds = decide(rules, List.of(warm, ok("b")), List.of(gold, plain), Set.of(), Map.of());
        assertThat(ds.get(0).outcome()).isEqualTo(Outcome.MOVE);
        assertThat(ds.get(1).outcome()).isEqualTo(Outcome.STAY);
    }

    @Test
    void aPrimaryWithoutValuesDecidesNothing() {
        Decision d = one(RULES, List.of(ok("b")), vm(VM, "gone", new Replica("b", 1, 1)));
        assertThat(d.outcome()).isEqualTo(Outcome.NO_DATA);
    }

    @Test
    void theSameInputsInAnyOrderGiveTheSameDecisions() {
        List<HostSample> hosts = new ArrayList<>();
        List<ProtectedVm> vms = new ArrayList<>();
        Random random = new Random(7);
        for (int h = 0; h < 20; h++) {
            hosts.add(Samples.host("h" + h).set(Parameter.CPU_PERCENT, h < 5 ? 99 : random.nextInt(80)).build());
        }
        for (int v = 0; v < 60; v++) {
            vms.add(vm(id(v), "h" + random.nextInt(20), new Replica("h" + random.nextInt(20), random.nextInt(30), 1),
                    new Replica("h" + random.nextInt(20), random.nextInt(30), 1)));
        }
        Map<UUID, String> first = new java.util.HashMap<>();
        decide(RULES, hosts, vms, Set.of(), Map.of()).forEach(d -> first.put(d.vm(), d.outcome() + " " + d.target()));
        assertThat(first.values()).anyMatch(s -> s.startsWith("MOVE")).anyMatch(s -> s.startsWith("HELD_CAP"));
        Collections.shuffle(vms, new Random(1));
        Collections.shuffle(hosts, new Random(2));
        decide(RULES, hosts, vms, Set.of(), Map.of()).forEach(d ->
                assertThat(d.outcome() + " " + d.target()).as("vm " + d.vm()).isEqualTo(first.get(d.vm())));
    }
}
