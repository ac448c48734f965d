package io.understudy.scheduler.placement;

import io.understudy.scheduler.stats.ProtectedVm;
import io.understudy.scheduler.stats.Replica;
import io.understudy.scheduler.evaluate.Evaluation;
import io.understudy.scheduler.evaluate.HostVerdict;
import io.understudy.scheduler.evaluate.RuleVerdict;
import io.understudy.scheduler.evaluate.Verdict;
import io.understudy.scheduler.rules.Range;
import io.understudy.scheduler.rules.Scope;
import io.understudy.scheduler.stats.Parameter;
import io.understudy.scheduler.stats.Value;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

/** Verdicts + VMs + their replicas → the secondaries each VM should have. Pure and deterministic. */
public final class Placer {

    /** Score taken off a host per replica it holds, so that replicas spread over the hosts. */
    static final double SPREAD_PENALTY = 0.01;

    public List<PlacementChange> place(Evaluation evaluation, List<ProtectedVm> vms) {
        int wanted = evaluation.rules().policy().replicas();
        Map<String, Double> diskFree = new HashMap<>();
        for (HostVerdict h : evaluation.hosts().values()) {
            h.sample().value(Parameter.DISK_FREE_GIB).filter(Value.Num.class::isInstance)
                    .ifPresent(v -> diskFree.put(h.host(), ((Value.Num) v).value()));
        }
        // Hosts that could take a replica at all (rules not scoped to VMs), best first; VM-specific
        // checks come per VM. Sorted once, not once per VM.
        List<HostVerdict> pool = evaluation.hosts().values().stream()
                .filter(h -> usable(h, null).isEmpty())
                .sorted(Comparator.comparingDouble((HostVerdict h) -> -headroom(h)).thenComparing(HostVerdict::host))
                .collect(Collectors.toCollection(ArrayList::new));

        List<PlacementChange> changes = new ArrayList<>();
        List<ProtectedVm> order = vms.stream().sorted(Comparator.comparing(ProtectedVm::id)).toList();
        for (ProtectedVm vm : order) {
            List<String> keep = new ArrayList<>();
            List<String> drop = new ArrayList<>();
            List<String> reasons = new ArrayList<>();
            // Out of range but alive, in order of lag: dropped only where an in-range host takes the place.
            Map<String, String> outOfRange = new LinkedHashMap<>();
            List<Replica> byLag = vm.replicas().stream()
                    .sorted(Comparator.comparingDouble(Replica::lagSeconds).thenComparing(Replica::host)).toList();
            for (Replica r : byLag) {
                if (r.host().equals(vm.primary())) {
                    // The version a primary started from, which its agent keeps for a former primary's
                    // rejoin: not a secondary's replica, so neither kept nor dropped here.
                    continue;
                }
                Optional<HostVerdict> host = evaluation.host(r.host());
                Optional<String> why = host.map(h -> breached(h, vm)).orElse(Optional.empty());
                if (why.isPresent() && !host.get().failed()) {
                    outOfRange.put(r.host(), why.get());
                } else if (why.isPresent()) {
                    drop.add(r.host());
                    reasons.add("drop " + r.host() + ": " + why.get());
                } else if (keep.size() >= wanted) {
                    drop.add(r.host());
                    reasons.add("drop " + r.host() + ": more than " + wanted + " replicas (it lags most)");
                } else {
                    keep.add(r.host());
                }
            }
            List<String> add = new ArrayList<>();
            if (keep.size() < wanted) {
                for (HostVerdict h : pool) {
                    if (keep.size() + add.size() >= wanted) {
                        break;
                    }
                    String host = h.host();
                    if (host.equals(vm.primary()) || keep.contains(host) || drop.contains(host)
                            || outOfRange.containsKey(host)
                            || usable(h, vm).isPresent()
                            || diskFree.getOrDefault(host, 0.0) < vm.diskGib()) {
                        continue;
                    }
                    add.add(host);
                    diskFree.merge(host, -(double) vm.diskGib(), Double::sum);
                }
                if (keep.size() + add.size() < wanted) {
                    reasons.add("only " + (keep.size() + add.size()) + " of " + wanted
                            + " secondaries in range: no other host is in range with room for " + vm.diskGib() + " GiB");
                }
                if (!add.isEmpty()) {
                    reasons.add("add " + add + ": in range, agent answers, room for " + vm.diskGib() + " GiB");
                }
            }
            // A replica out of range still beats none: the old primary after a move (its host is in
            // maintenance, say) keeps its replica and rejoins, rather than being seeded again from
            // empty once it is back in range.
            int room = wanted - keep.size() - add.size();
            for (Map.Entry<String, String> e : outOfRange.entrySet()) {
                if (room-- > 0) {
                    keep.add(e.getKey());
                    reasons.add("keep " + e.getKey() + " though " + e.getValue() + ": no host in range takes its place");
                } else {
                    drop.add(e.getKey());
                    reasons.add("drop " + e.getKey() + ": " + e.getValue());
                }
            }
            List<String> secondaries = new ArrayList<>(keep);
            secondaries.addAll(add);
            changes.add(new PlacementChange(vm.id(), vm.name(), vm.primary(), secondaries, add, drop, reasons));
        }
        return changes;
    }

    /** A sustained breach (or failure) of a rule that applies to this VM: reason to move the replica away. */
    private static Optional<String> breached(HostVerdict h, ProtectedVm vm) {
        if (h.failed()) {
            return Optional.of("host failed");
        }
        for (RuleVerdict v : h.verdicts()) {
            if (v.verdict() == Verdict.OUT_OF_RANGE && applies(v, vm)) {
                return Optional.of(v.rule().name() + ": " + v.show());
            }
        }
        return Optional.empty();
    }

    /**
     * Why this host cannot take a new replica, or empty. With {@code vm} null, only the checks
     * that do not depend on the VM.
     */
    private static Optional<String> usable(HostVerdict h, ProtectedVm vm) {
        if (vm == null) {
            if (h.failed()) {
                return Optional.of("failed");
            }
            if (!h.sample().isTrue(Parameter.AGENT_REACHABLE)) {
                return Optional.of("agent did not answer");
            }
            if (!h.sample().isTrue(Parameter.SERVICE_UP)) {
                return Optional.of("nova-compute is not up");
            }
        }
        for (RuleVerdict v : h.verdicts()) {
            boolean vmRule = v.rule().scope() instanceof Scope.Vms;
            boolean check = vm == null ? !vmRule : vmRule && applies(v, vm);
            if (check && v.verdict() != Verdict.IN_RANGE && v.verdict() != Verdict.NOT_APPLICABLE) {
                return Optional.of(v.rule().name() + ": " + v.show());
            }
        }
        return Optional.empty();
    }

    private static boolean applies(RuleVerdict v, ProtectedVm vm) {
        return !(v.rule().scope() instanceof Scope.Vms s) || s.selector().matches(vm.metadata(), vm.flavor(), vm.extraSpecs());
    }

    private static double headroom(HostVerdict h) {
        double sum = 0;
        int n = 0;
        for (RuleVerdict v : h.verdicts()) {
            if (v.verdict() == Verdict.IN_RANGE && v.rule().range() instanceof Range.Between b
                    && !(v.rule().scope() instanceof Scope.Vms)) {
                sum += b.headroom(v.value().orElseThrow());
                n++;
            }
        }
        return (n == 0 ? 1 : sum / n) - SPREAD_PENALTY * h.sample().replicaLagSeconds().size();
    }
}
