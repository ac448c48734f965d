package io.understudy.scheduler.evaluate;

import static java.util.Objects.requireNonNull;

import io.understudy.scheduler.rules.Range;
import io.understudy.scheduler.stats.HostSample;
import io.understudy.scheduler.stats.Parameter;
import java.util.List;

/**
 * A host's verdicts in one round.
 *
 * <p>{@code quiet}, {@code inRange} and {@code headroom} follow from the verdicts: they are
 * computed once per host, while its verdicts are at hand, so that the 100,000 VMs of a round and
 * the candidates of thousands of them need not read every verdict again.
 *
 * @param failed declared failed by failure detection: a hard verdict, out of range for every VM
 *     on it whatever the rules say, and moved without waiting for {@code for:} or cooldowns
 * @param verdicts one per rule, in the rules file's order
 * @param quiet not failed, and no rule breached or pending: nothing on it can move
 * @param inRange every rule in range or not applicable: none breached, pending or missing
 * @param headroom {@link #meanHeadroom} of all the verdicts: a target's score before its replica's
 *     freshness, for a VM every rule applies to
 */
public record HostVerdict(String host, HostSample sample, boolean failed, List<RuleVerdict> verdicts, boolean quiet,
        boolean inRange, double headroom) {

    public HostVerdict {
        requireNonNull(host, "host is null");
        requireNonNull(sample, "sample is null");
        verdicts = List.copyOf(verdicts);
        Summary s = summary(failed, verdicts);
        if (quiet != s.quiet()) {
            throw new IllegalArgumentException("quiet must say whether no rule is breached or pending");
        }
        if (inRange != s.inRange()) {
            throw new IllegalArgumentException("inRange must say whether every rule is in range or not applicable");
        }
        if (Double.compare(headroom, s.headroom()) != 0) {
            throw new IllegalArgumentException("headroom must be the verdicts' mean headroom");
        }
    }

    public HostVerdict(String host, HostSample sample, boolean failed, List<RuleVerdict> verdicts) {
        this(host, sample, failed, verdicts, summary(failed, verdicts));
    }

    private HostVerdict(String host, HostSample sample, boolean failed, List<RuleVerdict> verdicts, Summary s) {
        this(host, sample, failed, verdicts, s.quiet(), s.inRange(), s.headroom());
    }

    private record Summary(boolean quiet, boolean inRange, double headroom) {}

    private static Summary summary(boolean failed, List<RuleVerdict> verdicts) {
        boolean quiet = !failed;
        boolean inRange = true;
        for (RuleVerdict v : verdicts) {
            quiet &= v.verdict() != Verdict.OUT_OF_RANGE && v.verdict() != Verdict.PENDING;
            inRange &= v.verdict() == Verdict.IN_RANGE || v.verdict() == Verdict.NOT_APPLICABLE;
        }
        return new Summary(quiet, inRange, meanHeadroom(verdicts));
    }

    /**
     * How far inside their ranges the values in range of min/max rules are, on average (in rule
     * order, so that the same verdicts always give the same score to the last bit); 1 when no
     * such rule is in range.
     */
    public static double meanHeadroom(List<RuleVerdict> verdicts) {
        double sum = 0;
        int n = 0;
        for (RuleVerdict v : verdicts) {
            if (v.verdict() == Verdict.IN_RANGE && v.rule().range() instanceof Range.Between b) {
                sum += b.headroom(v.valueOrNull());
                n++;
            }
        }
        return n == 0 ? 1 : sum / n;
    }

    /** Nova's compute on this host is down or forced down, or the host failed: it cannot live-migrate anything away. */
    public boolean isDown() {
        return failed || sample.isFalse(Parameter.SERVICE_UP);
    }
}
