package io.understudy.scheduler.rules;

import static java.util.Objects.requireNonNull;

import io.understudy.scheduler.stats.Parameter;
import java.time.Duration;

/**
 * One business rule: PARAMETER must stay within RANGE; a breach counts once it has lasted
 * {@code forDuration} without interruption.
 *
 * @param name unique within the file; defaults to the parameter's name
 * @param line where the rule starts in its file, for messages
 */
public record Rule(String name, Parameter parameter, Range range, Duration forDuration, Scope scope, int line) {

    public Rule {
        requireNonNull(name, "name is null");
        requireNonNull(parameter, "parameter is null");
        requireNonNull(range, "range is null");
        requireNonNull(forDuration, "forDuration is null");
        requireNonNull(scope, "scope is null");
        if (forDuration.isNegative()) {
            throw new IllegalArgumentException("for: must not be negative");
        }
    }

    /** {@code cpu_percent max 90 for 2m}, as reasons quote it. */
    public String show() {
        return parameter.key() + " " + range.show()
                + (forDuration.isZero() ? "" : " for " + io.understudy.scheduler.yaml.Durations.format(forDuration));
    }
}
