package io.understudy.scheduler.evaluate;

import io.understudy.scheduler.rules.Rule;
import io.understudy.scheduler.rules.Rules;
import io.understudy.scheduler.rules.Scope;
import io.understudy.scheduler.stats.HostSample;
import io.understudy.scheduler.stats.Value;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/** Values + rules + time → verdicts. Pure: no clock, no I/O; the caller passes {@code now}. */
public final class Evaluator {

    /**
     * @param aggregates hosts per aggregate name (only those the rules name are needed)
     * @param failedHosts hosts failure detection declared failed
     * @param previous the breaches the last round handed on
     */
    public Evaluation evaluate(Collection<HostSample> samples, Rules rules, Map<String, Set<String>> aggregates,
            Set<String> failedHosts, Instant now, Breaches previous) {
        List<Rule> list = rules.rules();
        Map<String, HostVerdict> hosts = new HashMap<>(samples.size() * 2);
        Map<String, Map<String, Instant>> next = new HashMap<>();
        for (HostSample sample : samples) {
            List<RuleVerdict> verdicts = new ArrayList<>(list.size());
            for (Rule rule : list) {
                RuleVerdict verdict = judge(sample, rule, aggregates, now, previous);
                verdict.breachSince().ifPresent(since ->
                        next.computeIfAbsent(sample.host(), h -> new HashMap<>()).put(rule.name(), since));
                verdicts.add(verdict);
            }
            hosts.put(sample.host(), new HostVerdict(sample.host(), sample, failedHosts.contains(sample.host()), verdicts));
        }
        return new Evaluation(now, rules, hosts, new Breaches(next));
    }

    /** One rule on one host: the unit both the round and the naive baseline of the benchmark use. */
    public static RuleVerdict judge(HostSample sample, Rule rule, Map<String, Set<String>> aggregates, Instant now,
            Breaches previous) {
        if (rule.scope() instanceof Scope.Aggregate a
                && !aggregates.getOrDefault(a.name(), Set.of()).contains(sample.host())) {
            return new RuleVerdict(rule, Verdict.NOT_APPLICABLE, Optional.empty(), Optional.empty());
        }
        Optional<Value> value = sample.value(rule.parameter());
        if (value.isEmpty()) {
            // An unmeasured value neither confirms nor extends a breach: the breach must be seen
            // again, uninterrupted, for its whole for: before it counts.
            return new RuleVerdict(rule, Verdict.MISSING, value, Optional.empty());
        }
        if (rule.range().contains(value.get())) {
            return new RuleVerdict(rule, Verdict.IN_RANGE, value, Optional.empty());
        }
        Instant since = previous.of(sample.host(), rule.name()).filter(s -> !s.isAfter(now)).orElse(now);
        boolean lasted = Duration.between(since, now).compareTo(rule.forDuration()) >= 0;
        return new RuleVerdict(rule, lasted ? Verdict.OUT_OF_RANGE : Verdict.PENDING, value, Optional.of(since));
    }
}
