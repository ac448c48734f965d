package io.understudy.scheduler.evaluate;

import static java.util.Objects.requireNonNull;

import io.understudy.scheduler.rules.Rule;
import io.understudy.scheduler.stats.Value;
import io.understudy.scheduler.yaml.Durations;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * One rule's verdict on one host, with the value judged and, for a breach, when it began.
 *
 * <p>A class rather than a record of Optionals: a round makes one per host and rule (120,000 at
 * 10,000 hosts), and the Optionals would double what the garbage collector copies.
 */
public final class RuleVerdict {

    private final Rule rule;
    private final Verdict verdict;
    private final Value value;
    private final Instant breachSince;
    /** show(), made once: a breached host's reason is quoted by every VM on it. A race only makes it twice. */
    private String shown;

    /**
     * @param value null when the parameter was not measured
     * @param breachSince when the value left the range, for PENDING and OUT_OF_RANGE; null otherwise
     */
    public static RuleVerdict of(Rule rule, Verdict verdict, Value value, Instant breachSince) {
        return new RuleVerdict(rule, verdict, value, breachSince);
    }

    public RuleVerdict(Rule rule, Verdict verdict, Optional<Value> value, Optional<Instant> breachSince) {
        this(rule, verdict, value.orElse(null), breachSince.orElse(null));
    }

    private RuleVerdict(Rule rule, Verdict verdict, Value value, Instant breachSince) {
        this.rule = requireNonNull(rule, "rule is null");
        this.verdict = requireNonNull(verdict, "verdict is null");
        this.value = value;
        this.breachSince = breachSince;
        if ((verdict == Verdict.PENDING || verdict == Verdict.OUT_OF_RANGE) != (breachSince != null)) {
            throw new IllegalArgumentException("a breach, and only a breach, has a start");
        }
    }

    public Rule rule() {
        return rule;
    }

    public Verdict verdict() {
        return verdict;
    }

    public Optional<Value> value() {
        return Optional.ofNullable(value);
    }

    public Optional<Instant> breachSince() {
        return Optional.ofNullable(breachSince);
    }

    /** The value judged, or null when it was not measured: for the hot paths of a round. */
    Value valueOrNull() {
        return value;
    }

    /** {@code cpu_percent=97 outside max 90 since ...}: how reasons and tables say it. */
    public String show() {
        String s = shown;
        if (s == null) {
            s = describe();
            shown = s;
        }
        return s;
    }

    private String describe() {
        String v = rule.parameter().key() + "=" + (value == null ? "?" : value.show());
        return switch (verdict) {
            case IN_RANGE -> v + " within " + rule.range().show();
            case PENDING -> v + " outside " + rule.range().show() + " since " + breachSince
                    + ", counts after " + Durations.format(rule.forDuration());
            case OUT_OF_RANGE -> v + " outside " + rule.range().show() + " since " + breachSince
                    + (rule.forDuration().isZero() ? "" : " (for " + Durations.format(rule.forDuration()) + ")");
            case MISSING -> rule.parameter().key() + " not measured this round";
            case NOT_APPLICABLE -> rule.name() + " does not apply here";
        };
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof RuleVerdict other && rule.equals(other.rule) && verdict == other.verdict
                && Objects.equals(value, other.value) && Objects.equals(breachSince, other.breachSince);
    }

    @Override
    public int hashCode() {
        return Objects.hash(rule, verdict, value, breachSince);
    }

    @Override
    public String toString() {
        return "RuleVerdict[" + rule.name() + " " + verdict + ": " + show() + "]";
    }
}
