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
 * @param quiet not failed, and no rule breached or pending: nothing on it can move (computed once
 *     per host, so that the 100,000 VMs of a round need not look at every verdict)
 */
public record HostVerdict(String host, HostSample sample, boolean failed, List<RuleVerdict> verdicts, boolean quiet) {

    public HostVerdict {
        requireNonNull(host, "host is null");
        requireNonNull(sample, "sample is null");
        verdicts = List.copyOf(verdicts);
        boolean q = !failed;
        for (RuleVerdict v : verdicts) {
            q &= v.verdict() != Verdict.OUT_OF_RANGE && v.verdict() != Verdict.PENDING;
        }
        if (quiet != q) {
            throw new IllegalArgumentException("quiet must say whether no rule is breached or pending");
        }
    }

    public HostVerdict(String host, HostSample sample, boolean failed, List<RuleVerdict> verdicts) {
        this(host, sample, failed, verdicts, quiet(failed, verdicts));
    }

    private static boolean quiet(boolean failed, List<RuleVerdict> verdicts) {
        boolean q = !failed;
        for (RuleVerdict v : verdicts) {
            q &= v.verdict() != Verdict.OUT_OF_RANGE && v.verdict() != Verdict.PENDING;
        }
        return q;
    }

    /** Nova's compute on this host is down or forced down, or the host failed: it cannot live-migrate anything away. */
    public boolean isDown() {
        return failed || sample.isFalse(Parameter.SERVICE_UP);
    }
}
