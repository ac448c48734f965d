package io.understudy.scheduler.decide;

/** What a round decided for one protected VM. */
public enum Outcome {
    /** The primary is in range (or its breach has not lasted long enough): nothing to do. */
    STAY,
    /** Move to the chosen secondary, by the decision's action. */
    MOVE,
    /** The primary is out of range and no secondary is eligible: every candidate's rejection says why. */
    NO_TARGET,
    /** Out of range, but moved less than the cooldown ago. */
    HELD_COOLDOWN,
    /** Out of range, but this round already reached the policy's maxMovesAtOnce. */
    HELD_CAP,
    /** Out of range, and the policy's action for it is none. */
    NO_ACTION,
    /** Its primary has no values this round: nothing can be judged. */
    NO_DATA,
    /** A move of it is in flight, or stopped and awaiting an operator: nothing else is decided for it. */
    MOVING
}
