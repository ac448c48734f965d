package io.understudy.scheduler.decide;

import io.understudy.scheduler.evaluate.Evaluation;
import io.understudy.scheduler.evaluate.HostVerdict;
import io.understudy.scheduler.evaluate.RuleVerdict;
import io.understudy.scheduler.evaluate.Verdict;
import io.understudy.scheduler.stats.ProtectedVm;
import io.understudy.scheduler.stats.Replica;
import io.understudy.scheduler.rules.MoveAction;
import io.understudy.scheduler.rules.Policy;
import io.understudy.scheduler.rules.Rule;
import io.understudy.scheduler.rules.Scope;
import io.understudy.scheduler.stats.Parameter;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;

/**
 * Verdicts + protected VMs + their replicas + time → one decision per VM. Pure and deterministic:
 * the same inputs give the same decisions in the same order.
 */
public final class Decider {

    /** Score taken off a target per VM already headed there this round, so that moves spread out. */
    static final double ARRIVAL_PENALTY = 0.1;

    /**
     * @param lastMoves when each VM was last moved by a rule (cooldowns)
     * @param held the VMs whose moves are open (in flight, or stopped for an operator), with why:
     *     they are decided {@link Outcome#MOVING}, and count against the cap
     */
    public List<Decision> decide(Evaluation evaluation, List<ProtectedVm> vms, Map<UUID, Instant> lastMoves,
            Map<UUID, String> held) {
        Policy policy = evaluation.rules().policy();
        List<Rule> rules = evaluation.rules().rules();
        boolean vmScoped = rules.stream().anyMatch(r -> r.scope() instanceof Scope.Vms);

        Map<String, Set<String>> groupHosts = new HashMap<>();
        for (ProtectedVm vm : vms) {
            String group = vm.metadata().get(ProtectedVm.ANTI_AFFINITY_KEY);
            if (group != null && !group.isBlank()) {
                groupHosts.computeIfAbsent(group, k -> new HashSet<>()).add(vm.primary());
            }
        }
        Map<String, Integer> arrivals = new HashMap<>();
        Round round = new Round(evaluation, policy, vmScoped, groupHosts, arrivals, lastMoves);

        // Most VMs sit on quiet hosts: they stay whatever the others do, so they are decided at
        // once, in the order given. The others compete for the cap, targets and anti-affinity:
        // they are decided in a fixed order — failed hosts first, so that the cap is spent on VMs
        // that are down before any that are merely out of range, then by VM id.
        Decision[] decisions = new Decision[vms.size()];
        List<Contested> contested = new ArrayList<>();
        for (int i = 0; i < vms.size(); i++) {
            ProtectedVm vm = vms.get(i);
            String moving = held.isEmpty() ? null : held.get(vm.id());
            Decision stay = moving != null ? round.moving(vm, moving) : round.quietStay(vm);
            if (stay != null) {
                decisions[i] = stay;
            } else {
                contested.add(new Contested(i, round.failed(vm.primary()), vm.id()));
            }
        }
        contested.sort(DECIDING_ORDER);
        int moves = held.size();
        for (Contested c : contested) {
            int i = c.index();
            ProtectedVm vm = vms.get(i);
            Decision d = round.decide(vm, moves);
            if (d.outcome() == Outcome.MOVE) {
                moves++;
                String target = d.target().orElseThrow();
                arrivals.merge(target, 1, Integer::sum);
                vm.antiAffinityGroup().ifPresent(g -> groupHosts.get(g).add(target));
            }
            decisions[i] = d;
        }
        return List.of(decisions);
    }


    /** A VM that competes for the cap and targets, with its sort keys read once rather than per comparison. */
    private record Contested(int index, boolean onFailedHost, UUID vm) {}

    private static final Comparator<Contested> DECIDING_ORDER =
            Comparator.comparing((Contested c) -> !c.onFailedHost()).thenComparing(Contested::vm);

    private static final Comparator<Candidate> BEST_FIRST = Comparator.comparing((Candidate c) -> !c.eligible())
            .thenComparing(Comparator.comparingDouble(Candidate::score).reversed())
            .thenComparingDouble(Candidate::lagSeconds)
            .thenComparing(Candidate::host);

    /** The per-VM steps, sharing the round's running state (arrivals, anti-affinity, moves). */
    private record Round(Evaluation evaluation, Policy policy, boolean vmScoped,
            Map<String, Set<String>> groupHosts, Map<String, Integer> arrivals, Map<UUID, Instant> lastMoves) {

        boolean failed(String host) {
            HostVerdict h = evaluation.hosts().get(host);
            return h != null && h.failed();
        }

        /** MOVING: no decision while a move of the VM is open. */
        Decision moving(ProtectedVm vm, String why) {
            return decision(vm, Outcome.MOVING, null, null, false, List.of(why), List.of(), List.of());
        }

        /** STAY for a VM whose primary is quiet under every rule that applies to it; null otherwise (no Optional: 100,000 calls a round). */
        Decision quietStay(ProtectedVm vm) {
            HostVerdict p = evaluation.hosts().get(vm.primary());
            if (p == null) {
                return null;
            }
            List<RuleVerdict> verdicts = applicable(vm, p.verdicts());
            // A host with a breach may still be quiet for this VM when the breached rule selects other VMs.
            if (p.quiet() || vmScoped && !p.failed() && allQuiet(verdicts)) {
                return decision(vm, Outcome.STAY, null, null, false, List.of(), verdicts, List.of());
            }
            return null;
        }

        Decision decide(ProtectedVm vm, int movesSoFar) {
            Optional<HostVerdict> primary = evaluation.host(vm.primary());
            if (primary.isEmpty()) {
                return decision(vm, Outcome.NO_DATA, null, null, false,
                        List.of("primary " + vm.primary() + " has no values this round (not a compute Nova lists)"),
                        List.of(), List.of());
            }
            HostVerdict p = primary.get();
            List<RuleVerdict> verdicts = applicable(vm, p.verdicts());
            List<String> breaches = new ArrayList<>();
            if (p.failed()) {
                breaches.add("host " + vm.primary() + " failed");
            }
            List<String> pending = new ArrayList<>();
            for (RuleVerdict v : verdicts) {
                if (v.verdict() == Verdict.OUT_OF_RANGE) {
                    breaches.add(v.rule().name() + ": " + v.show());
                } else if (v.verdict() == Verdict.PENDING) {
                    pending.add(v.rule().name() + ": " + v.show());
                }
            }
            if (breaches.isEmpty()) {
                return decision(vm, Outcome.STAY, null, null, false, pending, verdicts, List.of());
            }
            boolean hard = p.failed();
            boolean down = p.isDown();
            MoveAction action = down ? policy.whenPrimaryDown() : policy.whenPrimaryAlive();
            List<String> reasons = new ArrayList<>(breaches);
            reasons.add(down ? "primary is down" : "primary is alive");
            if (action == MoveAction.NONE) {
                reasons.add("policy " + (down ? "whenPrimaryDown" : "whenPrimaryAlive") + " is none");
                return decision(vm, Outcome.NO_ACTION, null, null, hard, reasons, verdicts, List.of());
            }
            if (!hard) {
                Instant last = lastMoves.get(vm.id());
                if (last != null && last.plus(policy.cooldown()).isAfter(evaluation.at())) {
                    reasons.add("moved at " + last + ", cooldown until " + last.plus(policy.cooldown()));
                    return decision(vm, Outcome.HELD_COOLDOWN, action, null, false, reasons, verdicts, List.of());
                }
            }
            List<Candidate> candidates = candidates(vm);
            // Sorted eligible first.
            Optional<Candidate> best = candidates.isEmpty() || !candidates.get(0).eligible() ? Optional.empty()
                    : Optional.of(candidates.get(0));
            if (best.isEmpty()) {
                reasons.add(candidates.isEmpty() ? "it has no secondaries" : "no secondary is eligible");
                return decision(vm, Outcome.NO_TARGET, action, null, hard, reasons, verdicts, candidates);
            }
            if (movesSoFar >= policy.maxMovesAtOnce()) {
                reasons.add("would move to " + best.get().host() + ", but " + movesSoFar
                        + " moves already reach maxMovesAtOnce " + policy.maxMovesAtOnce());
                return decision(vm, Outcome.HELD_CAP, action, null, hard, reasons, verdicts, candidates);
            }
            reasons.add("best secondary " + best.get().host() + " (score " + fixed(best.get().score(), 1000)
                    + ", lag " + fixed(best.get().lagSeconds(), 10) + "s)");
            return decision(vm, Outcome.MOVE, action, best.get().host(), hard, reasons, verdicts, candidates);
        }

        private List<Candidate> candidates(ProtectedVm vm) {
            List<Candidate> out = new ArrayList<>(vm.replicas().size());
            double maxLag = policy.maxReplicaLag().toMillis() / 1000.0;
            for (Replica r : vm.replicas()) {
                if (r.host().equals(vm.primary())) {
                    continue;
                }
                List<String> rejections = new ArrayList<>();
                Optional<HostVerdict> host = evaluation.host(r.host());
                double headroom = 1;
                if (host.isEmpty()) {
                    rejections.add("no values this round");
                } else {
                    HostVerdict h = host.get();
                    if (h.failed()) {
                        rejections.add("host failed");
                    }
                    if (!h.sample().isTrue(Parameter.AGENT_REACHABLE)) {
                        rejections.add("agent did not answer");
                    }
                    if (!h.sample().isTrue(Parameter.SERVICE_UP)) {
                        rejections.add("nova-compute is not up");
                    }
                    List<RuleVerdict> verdicts = applicable(vm, h.verdicts());
                    if (vmScoped || !h.inRange()) {
                        for (RuleVerdict v : verdicts) {
                            if (v.verdict() != Verdict.IN_RANGE && v.verdict() != Verdict.NOT_APPLICABLE) {
                                rejections.add(v.rule().name() + ": " + v.show());
                            }
                        }
                    }
                    headroom = vmScoped ? HostVerdict.meanHeadroom(verdicts) : h.headroom();
                }
                if (r.lagSeconds() > maxLag) {
                    rejections.add("replica lag " + fixed(r.lagSeconds(), 10) + "s > maxReplicaLag "
                            + io.understudy.scheduler.yaml.Durations.format(policy.maxReplicaLag()));
                }
                vm.antiAffinityGroup().filter(g -> groupHosts.getOrDefault(g, Set.of()).contains(r.host()))
                        .ifPresent(g -> rejections.add("anti-affinity group " + g + " already has a VM there"));
                double freshness = maxLag <= 0 ? 0 : Math.max(0, 1 - r.lagSeconds() / maxLag);
                double score = headroom + freshness - ARRIVAL_PENALTY * arrivals.getOrDefault(r.host(), 0);
                out.add(new Candidate(r.host(), r.lagSeconds(), rejections.isEmpty(), score, rejections));
            }
            out.sort(BEST_FIRST);
            return out;
        }

        /**
         * A number with as many decimals as SCALE has zeros (10: one), always showing them:
         * String.format costs microseconds, and thousands of reasons are written per round.
         */
        private static String fixed(double d, long scale) {
            long n = Math.round(d * scale);
            int digits = Long.toString(scale).length() - 1;
            String frac = Long.toString(Math.abs(n % scale));
            return (n < 0 ? "-" : "") + Math.abs(n / scale) + "." + "0".repeat(digits - frac.length()) + frac;
        }

        private static boolean allQuiet(List<RuleVerdict> verdicts) {
            for (RuleVerdict v : verdicts) {
                if (v.verdict() == Verdict.OUT_OF_RANGE || v.verdict() == Verdict.PENDING) {
                    return false;
                }
            }
            return true;
        }

        /** The verdicts of the rules that apply to this VM (VM-scoped rules only for the VMs they select). */
        private List<RuleVerdict> applicable(ProtectedVm vm, List<RuleVerdict> all) {
            if (!vmScoped) {
                return all;
            }
            List<RuleVerdict> out = new ArrayList<>(all.size());
            for (RuleVerdict v : all) {
                if (!(v.rule().scope() instanceof Scope.Vms s) || s.selector().matches(vm.metadata(), vm.flavor(), vm.extraSpecs())) {
                    out.add(v);
                }
            }
            return out;
        }

        private static Decision decision(ProtectedVm vm, Outcome outcome, MoveAction action, String target,
                boolean hard, List<String> reasons, List<RuleVerdict> verdicts, List<Candidate> candidates) {
            return new Decision(vm.id(), vm.name(), vm.primary(), outcome, Optional.ofNullable(action),
                    Optional.ofNullable(target), hard, reasons, verdicts, candidates);
        }
    }
}
