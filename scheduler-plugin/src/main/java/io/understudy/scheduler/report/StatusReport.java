package io.understudy.scheduler.report;

import static java.util.Objects.requireNonNull;

import io.understudy.scheduler.decide.Candidate;
import io.understudy.scheduler.decide.Decision;
import io.understudy.scheduler.detect.HostReport;
import io.understudy.scheduler.detect.HostState;
import io.understudy.scheduler.evaluate.HostVerdict;
import io.understudy.scheduler.evaluate.RuleVerdict;
import io.understudy.scheduler.evaluate.Verdict;
import io.understudy.scheduler.moves.ForcedDownHosts;
import io.understudy.scheduler.round.LastRound;
import io.understudy.scheduler.round.RoundResult;
import io.understudy.scheduler.stats.ProtectedVm;
import io.understudy.scheduler.stats.Replica;
import io.understudy.scheduler.stats.Value;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Function;

/**
 * One round as an operator reads it.
 *
 * @param at when the round judged the hosts
 * @param instance the controller that ran the round, or {@code local} for a command's own round
 * @param detection whose failure detection the hosts' states come from, or why it is unknown
 */
public record StatusReport(Instant at, String instance, List<String> notes, DetectionSource detection,
        List<HostStatus> hosts, List<VmStatus> vms) {

    /**
     * @param instance the controller whose detection this is
     * @param problem why no detection is known
     */
    public record DetectionSource(Optional<String> instance, Optional<String> problem) {}

    /**
     * A host: STATE is OK, PENDING, OUT (a breach that counts), FAILED, or UNKNOWN when a rule's
     * value is missing.
     *
     * @param bringBack where bringing it back stands, when a failover forced it down
     * @param values every parameter's value this round, by parameter key
     * @param verdicts each rule that applies to it, with its verdict
     */
    public record HostStatus(String host, String state, Optional<HostReport> detection,
            Optional<ForcedDownHosts.Host> bringBack, Map<String, Object> values, List<RuleLine> verdicts,
            List<String> problems) {}

    /** A rule's verdict on a host, with the values it judged. */
    public record RuleLine(String rule, String verdict, String detail) {}

    /**
     * A protected VM.
     *
     * @param replicas its secondaries, with their lag and version as their agents reported them
     * @param decision the round's outcome for it (STAY, MIGRATE, FAILOVER, ...)
     * @param reasons why
     * @param candidates the replica holders as the decision weighed them
     * @param whyNot each host other than the primary and the target, and why it is not the VM's home:
     *     in the report of one VM only ({@link StatusReport#vm}), as over a fleet it would name every
     *     host for every VM
     */
    public record VmStatus(UUID id, String name, String primary, String flavor, List<Replica> replicas,
            String decision, Optional<String> target, List<String> reasons, List<Candidate> candidates,
            Map<String, String> whyNot) {}

    /** Why a VM left out of the newest round stays. */
    static final String QUIET = "its primary is quiet (no rule breached or pending): it stays, whatever its replicas"
            + " (replicas as of the last round that listed every protected VM)";

    public StatusReport {
        requireNonNull(at, "at is null");
        requireNonNull(instance, "instance is null");
        notes = List.copyOf(notes);
        requireNonNull(detection, "detection is null");
        hosts = List.copyOf(hosts);
        vms = List.copyOf(vms);
    }

    /**
     * The report of the round SEEN (one that read Nova, with the VMs on quiet hosts it left out),
     * with each host's detection state as DETECTED has it and its return as FORCED_DOWN has it.
     */
    public static StatusReport of(LastRound.Seen seen, String instance, DetectionSource detection,
            Function<String, Optional<HostReport>> detected,
            Function<String, Optional<ForcedDownHosts.Host>> forcedDown) {
        RoundResult round = seen.round();
        var evaluation = round.evaluation().orElseThrow(() -> new IllegalArgumentException(
                "a round that did not read Nova has nothing to report: " + round.failure().orElse("?")));
        List<HostStatus> hosts = new ArrayList<>();
        for (HostVerdict h : evaluation.hosts().values()) {
            Map<String, Object> values = new LinkedHashMap<>();
            h.sample().values().forEach((p, v) -> values.put(p.key(), json(v)));
            Optional<HostReport> d = detected.apply(h.host());
            Optional<ForcedDownHosts.Host> back = forcedDown.apply(h.host());
            List<String> problems = new ArrayList<>(h.sample().problems());
            d.filter(r -> r.state() != HostState.OK)
                    .ifPresent(r -> problems.add(0, r.state().name().toLowerCase(Locale.ROOT) + ": " + r.reason()));
            back.ifPresent(f -> problems.add(f.state().name().toLowerCase(Locale.ROOT) + " since " + f.updatedAt()
                    + " (forced down by a failover at " + f.forcedAt() + "): " + f.note()));
            hosts.add(new HostStatus(h.host(), state(h), d, back, values, h.verdicts().stream()
                    .filter(v -> v.verdict() != Verdict.NOT_APPLICABLE)
                    .map(v -> new RuleLine(v.rule().name(), v.verdict().name(), v.show())).toList(), problems));
        }
        Map<UUID, Decision> decisions = new HashMap<>();
        round.decisions().forEach(d -> decisions.put(d.vm(), d));
        List<VmStatus> vms = new ArrayList<>();
        for (ProtectedVm vm : round.vms()) {
            Optional<Decision> d = Optional.ofNullable(decisions.get(vm.id()));
            List<Candidate> candidates = d.map(Decision::candidates).orElse(List.of());
            Optional<String> target = d.flatMap(Decision::target);
            vms.add(new VmStatus(vm.id(), vm.name(), vm.primary(), vm.flavor(), vm.replicas(),
                    d.map(x -> x.outcome().name()).orElse("STAY"), target, d.map(Decision::reasons).orElse(List.of()),
                    candidates, Map.of()));
        }
        for (ProtectedVm vm : seen.quiet()) {
            vms.add(new VmStatus(vm.id(), vm.name(), vm.primary(), vm.flavor(), vm.replicas(), "STAY",
                    Optional.empty(), List.of(QUIET), List.of(), Map.of()));
        }
        return new StatusReport(evaluation.at(), instance, round.notes(), detection, hosts, vms);
    }

    /** Why each host other than PRIMARY and TARGET is not the VM's home: only a replica holder can be. */
    private static Map<String, String> whyNot(List<HostStatus> hosts, String primary, Optional<String> target,
            List<Candidate> candidates) {
        Map<String, Candidate> weighed = new HashMap<>();
        candidates.forEach(c -> weighed.put(c.host(), c));
        Map<String, String> why = new LinkedHashMap<>();
        for (HostStatus h : hosts) {
            if (h.host().equals(primary) || target.filter(h.host()::equals).isPresent()) {
                continue;
            }
            Candidate c = weighed.get(h.host());
            why.put(h.host(), c == null ? "holds no replica of it"
                    : !c.eligible() ? String.join("; ", c.rejections())
                    : "eligible, score " + Math.round(c.score() * 1000) / 1000.0 + target.map(t -> ", below " + t)
                            .orElse(", no move needed"));
        }
        return why;
    }

    /** The host named HOST, if the round judged it. */
    public Optional<HostStatus> host(String host) {
        return hosts.stream().filter(h -> h.host().equals(host)).findFirst();
    }

    /** The protected VM VM, if the round saw it, with why not each other host. */
    public Optional<VmStatus> vm(UUID vm) {
        return vms.stream().filter(v -> v.id().equals(vm)).findFirst().map(v -> new VmStatus(v.id(), v.name(),
                v.primary(), v.flavor(), v.replicas(), v.decision(), v.target(), v.reasons(), v.candidates(),
                whyNot(hosts, v.primary(), v.target(), v.candidates())));
    }

    static String state(HostVerdict h) {
        if (h.failed()) {
            return "FAILED";
        }
        boolean pending = false;
        boolean missing = false;
        for (RuleVerdict v : h.verdicts()) {
            switch (v.verdict()) {
                case OUT_OF_RANGE -> {
                    return "OUT";
                }
                case PENDING -> pending = true;
                case MISSING -> missing = true;
                default -> { }
            }
        }
        return pending ? "PENDING" : missing ? "UNKNOWN" : "OK";
    }

    private static Object json(Value v) {
        if (v instanceof Value.Num n) {
            return n.value();
        }
        if (v instanceof Value.Bool b) {
            return b.value();
        }
        return ((Value.Text) v).value();
    }
}
