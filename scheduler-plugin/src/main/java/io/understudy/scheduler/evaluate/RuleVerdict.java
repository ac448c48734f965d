package io.understudy.scheduler.evaluate;

import static java.util.Objects.requireNonNull;

import io.understudy.scheduler.rules.Rule;
import io.understudy.scheduler.stats.Value;
import java.time.Instant;
import java.util.Optional;

/**
 * @param breachSince when the value left the range, for PENDING and OUT_OF_RANGE
 */
public record RuleVerdict(Rule rule, Verdict verdict, Optional<Value> value, Optional<Instant> breachSince) {

    public RuleVerdict {
        requireNonNull(rule, "rule is null");
        requireNonNull(verdict, "verdict is null");
        requireNonNull(value, "value is null");
        requireNonNull(breachSince, "breachSince is null");
    }

    /** {@code cpu_percent=97 (max 90, breached since 2026-...)}: how reasons and tables say it. */
    public String show() {
        String v = rule.parameter().key() + "=" + value.map(Value::show).orElse("?");
        return switch (verdict) {
            case IN_RANGE -> v + " within " + rule.range().show();
            case PENDING -> v + " outside " + rule.range().show() + " since " + breachSince.orElseThrow()
                    + ", counts after " + io.understudy.scheduler.yaml.Durations.format(rule.forDuration());
            case OUT_OF_RANGE -> v + " outside " + rule.range().show() + " since " + breachSince.orElseThrow()
                    + (rule.forDuration().isZero() ? "" : " (for " + io.understudy.scheduler.yaml.Durations.format(rule.forDuration()) + ")");
            case MISSING -> rule.parameter().key() + " not measured this round";
            case NOT_APPLICABLE -> rule.name() + " does not apply here";
        };
    }
}
