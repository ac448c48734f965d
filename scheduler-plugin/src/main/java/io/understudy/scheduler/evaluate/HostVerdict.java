package io.understudy.scheduler.evaluate;

import static java.util.Objects.requireNonNull;

import io.understudy.scheduler.stats.HostSample;
import io.understudy.scheduler.stats.Parameter;
import java.util.List;

/**
 * A host's verdicts in one round.
 *
 * @param failed declared failed by failure detection: a hard verdict, out of range for every VM
 *     on it whatever the rules say, and moved without waiting for {@code for:} or cooldowns
 * @param verdicts one per rule, in the rules file's order
 */
public record HostVerdict(String host, HostSample sample, boolean failed, List<RuleVerdict> verdicts) {

    public HostVerdict {
        requireNonNull(host, "host is null");
        requireNonNull(sample, "sample is null");
        verdicts = List.copyOf(verdicts);
    }

    /** Nova's compute on this host is down or forced down, or the host failed: it cannot live-migrate anything away. */
    public boolean isDown() {
        return failed || sample.isFalse(Parameter.SERVICE_UP);
    }
}
