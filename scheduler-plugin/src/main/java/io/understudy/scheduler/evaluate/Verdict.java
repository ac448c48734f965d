package io.understudy.scheduler.evaluate;

/** One rule's judgement of one host. */
public enum Verdict {
    /** The value is within the rule's range. */
    IN_RANGE,
    /** Outside the range, but not yet for as long as the rule's {@code for:}. Not a breach yet; not a target either. */
    PENDING,
    /** Outside the range for at least {@code for:}: the breach counts. */
    OUT_OF_RANGE,
    /** The value was not measured this round (agent or Nova silent): neither a breach nor in range. */
    MISSING,
    /** The rule is for an aggregate this host is not in. */
    NOT_APPLICABLE
}
