package io.understudy.scheduler.evaluate;

import io.understudy.scheduler.rules.Rule;
import io.understudy.scheduler.rules.Rules;
import io.understudy.scheduler.rules.Scope;
import io.understudy.scheduler.stats.HostSample;
import io.understudy.scheduler.stats.Value;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
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
        // In the samples' order (name order, as merged), so that Evaluation need not sort them again.
        Map<String, HostVerdict> hosts = new java.util.LinkedHashMap<>(samples.size() * 2);
        Map<String, Map<String, Instant>> next = new HashMap<>();
        for (HostSample sample : samples) {
            hosts.put(sample.host(), judge(sample, list, aggregates, failedHosts, now, previous, next));
        }
        return new Evaluation(now, rules, hosts, new Breaches(next));
    }

    /**
     * Every rule on one host, its breaches added to {@code next}. A method of its own, called per
     * host, so that the JIT compiles it within a round's first thousands of hosts.
     */
    private static HostVerdict judge(HostSample sample, List<Rule> rules, Map<String, Set<String>> aggregates,
            Set<String> failedHosts, Instant now, Breaches previous, Map<String, Map<String, Instant>> next) {
        RuleVerdict[] verdicts = new RuleVerdict[rules.size()];
        for (int i = 0; i < verdicts.length; i++) {
            RuleVerdict verdict = judge(sample, rules.get(i), aggregates, now, previous);
            if (verdict.verdict() == Verdict.PENDING || verdict.verdict() == Verdict.OUT_OF_RANGE) {
                next.computeIfAbsent(sample.host(), h -> new HashMap<>())
                        .put(rules.get(i).name(), verdict.breachSince().orElseThrow());
            }
            verdicts[i] = verdict;
        }
        return new HostVerdict(sample.host(), sample, failedHosts.contains(sample.host()), List.of(verdicts));
    }

    /** One rule on one host: the unit both the round and the naive baseline of the benchmark use. */
    public static RuleVerdict judge(HostSample sample, Rule rule, Map<String, Set<String>> aggregates, Instant now,
            Breaches previous) {
        if (rule.scope() instanceof Scope.Aggregate a
                && !aggregates.getOrDefault(a.name(), Set.of()).contains(sample.host())) {
            return RuleVerdict.of(rule, Verdict.NOT_APPLICABLE, null, null);
        }
        Value value = sample.values().get(rule.parameter());
        if (value == null) {
            // An unmeasured value neither confirms nor extends a breach: the breach must be seen
            // again, uninterrupted, for its whole for: before it counts.
            return RuleVerdict.of(rule, Verdict.MISSING, null, null);
        }
        if (rule.range().contains(value)) {
            return RuleVerdict.of(rule, Verdict.IN_RANGE, value, null);
        }
        Instant since = previous.of(sample.host(), rule.name()).filter(s -> !s.isAfter(now)).orElse(now);
        boolean lasted = Duration.between(since, now).compareTo(rule.forDuration()) >= 0;
        return RuleVerdict.of(rule, lasted ? Verdict.OUT_OF_RANGE : Verdict.PENDING, value, since);
    }
}
