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
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The pure part of a round, from Nova's and the agents' answers to decisions: what the
 * benchmark times and what {@link EvaluationRound} runs between its reads and its records.
 */
public final class RoundCore {

    private final Evaluator evaluator = new Evaluator();
    private final Decider decider = new Decider();

    /** @param unplaced protected servers without a host */
    public record Computed(List<HostSample> samples, List<ProtectedVm> vms, List<ServerInfo> unplaced,
            Evaluation evaluation, List<Decision> decisions) {}

    public Computed compute(NovaSnapshot nova, Map<String, AgentReading> agents, Rules rules, Set<String> failedHosts,
            Instant now, RoundState previous) {
        List<HostSample> samples = Samples.merge(nova, agents, now);
        List<ServerInfo> unplaced = new ArrayList<>();
        List<ProtectedVm> vms = Inventory.protectedVms(nova.servers(), samples, rules, unplaced);
        Evaluation evaluation = evaluator.evaluate(samples, rules, nova.aggregates(), failedHosts, now,
                previous.breaches());
        List<Decision> decisions = decider.decide(evaluation, vms, previous.lastMoves(), 0);
        return new Computed(samples, vms, unplaced, evaluation, decisions);
    }
}
