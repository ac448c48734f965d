package io.understudy.scheduler.round;

import io.understudy.scheduler.decide.Decider;
import io.understudy.scheduler.decide.Decision;
import io.understudy.scheduler.evaluate.Evaluation;
import io.understudy.scheduler.evaluate.Evaluator;
import io.understudy.scheduler.rules.Rules;
import io.understudy.scheduler.stats.AgentReading;
import io.understudy.scheduler.stats.HostSample;
import io.understudy.scheduler.stats.Inventory;
import io.understudy.scheduler.stats.NovaSnapshot;
import io.understudy.scheduler.stats.ProtectedVm;
import io.understudy.scheduler.stats.Samples;
import io.understudy.scheduler.stats.ServerInfo;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.stream.IntStream;

/**
 * The pure part of a round, from Nova's and the agents' answers to decisions: what the
 * benchmark times and what {@link EvaluationRound} runs between its reads and its records.
 *
 * <p>Hosts are judged first, once each. A protected VM whose primary is quiet (no rule breached
 * or pending, not failed) stays whatever its replicas are, so the controller's rounds
 * ({@code everyVm} false) only count it and look up replicas for the others; {@code plan},
 * {@code status} and placement ask for every VM.
 */
public final class RoundCore {

    private final Evaluator evaluator = new Evaluator();
    private final Decider decider = new Decider();

    /**
     * @param vms the protected VMs decided on: all of them, or (not everyVm) those not on a quiet host
     * @param protectedVms how many protected VMs have a host
     * @param quietStays protected VMs that stay because their primary is quiet, with no decision object
     * @param unplaced protected servers without a host
     */
    public record Computed(List<HostSample> samples, Evaluation evaluation, List<ProtectedVm> vms,
            List<Decision> decisions, int protectedVms, int quietStays, List<ServerInfo> unplaced) {}

    /** @param held the VMs whose moves are open, with why (see {@link Decider#decide}) */
    public Computed compute(NovaSnapshot nova, Map<String, AgentReading> agents, Rules rules, Set<String> failedHosts,
            Instant now, RoundState previous, boolean everyVm, Map<UUID, String> held) {
        Samples.Merged merged = Samples.mergeWithReplicas(nova, agents, now);
        List<HostSample> samples = merged.samples();
        Evaluation evaluation = evaluator.evaluate(samples, rules, nova.aggregates(), failedHosts, now,
                previous.breaches());
        // Made in one go, this set stays compact in cache for the 100,000 lookups below, where
        // evaluation.hosts() would read a HostVerdict from wherever evaluating left it.
        Set<String> quietHosts = new HashSet<>(evaluation.hosts().size() * 2);
        evaluation.hosts().forEach((host, verdict) -> {
            if (verdict.quiet()) {
                quietHosts.add(host);
            }
        });
        // Each server is sorted on its own, half of them on each core: the round reads 100,000
        // servers from all over the heap, and two cores wait for their cache misses side by side.
        List<ServerInfo> servers = nova.servers();
        Kind[] kinds = new Kind[servers.size()];
        IntStream.range(0, kinds.length).parallel()
                .forEach(i -> kinds[i] = kind(servers.get(i), rules, quietHosts, everyVm, held));
        List<ServerInfo> unplaced = new ArrayList<>();
        List<ServerInfo> decided = new ArrayList<>();
        int placed = 0;
        for (int i = 0; i < kinds.length; i++) {
            switch (kinds[i]) {
                case UNPROTECTED -> { }
                case UNPLACED -> unplaced.add(servers.get(i));
                case QUIET -> placed++;
                case DECIDED -> {
                    placed++;
                    decided.add(servers.get(i));
                }
            }
        }
        List<ProtectedVm> vms = Inventory.protectedVms(decided, merged.replicas(), rules, new ArrayList<>());
        List<Decision> decisions = decider.decide(evaluation, vms, previous.lastMoves(), held);
        return new Computed(samples, evaluation, vms, decisions, placed, placed - vms.size(), unplaced);
    }

    /** What a round does with a server. */
    private enum Kind { UNPROTECTED, UNPLACED, QUIET, DECIDED }

    private static Kind kind(ServerInfo server, Rules rules, Set<String> quietHosts, boolean everyVm,
            Map<UUID, String> held) {
        if (!server.isProtectedBy(rules)) {
            return Kind.UNPROTECTED;
        }
        if (server.host().isEmpty()) {
            return Kind.UNPLACED;
        }
        // Anti-affinity members are always decided: their hosts count for the others of their group.
        boolean grouped = server.metadata().containsKey(ProtectedVm.ANTI_AFFINITY_KEY);
        return everyVm || !quietHosts.contains(server.host().get()) || grouped || held.containsKey(server.id())
                ? Kind.DECIDED : Kind.QUIET;
    }
}
