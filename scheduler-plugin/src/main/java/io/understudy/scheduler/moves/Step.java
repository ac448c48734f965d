package io.understudy.scheduler.moves;

/**
 * One step of a move; {@link MoveKind} says which steps a kind of move takes, in which order.
 * A repeatable step is one that a restarted controller would run again whatever the journal said
 * of it, with nothing asked twice that may not be: the journal records it only with its next
 * write (see {@link Mover}).
 */
public enum Step {
    /**
     * The old primary's rounds held, after a last one that makes its secondaries as fresh as they
     * can be: libvirt's migration must not meet a round's backup job.
     */
    SYNC("final sync", true, false),
    /** Nova live migration to the target, followed to its end. */
    MIGRATE("live migration", false, true),
    /** The old primary's fencer proves it can no longer run the VM. */
    FENCE("fence", false, false),
    /** The target's agent puts its replica in place as the instance's disk. */
    STAGE("stage", false, false),
    /** Nova evacuation onto the staged replica, followed until the VM is ACTIVE there. */
    EVACUATE("evacuate", false, true),
    /**
     * The old primary's nova-compute forced down: Nova then sees it down at once and evacuates from
     * it, and schedules nothing there until it is brought back.
     */
    FORCE_DOWN("force down", false, false),
    /**
     * The roles flip: the target's agent becomes the primary, the others (the old primary too) its
     * secondaries. Every role is sent whatever was sent before, so sending them again is the same.
     */
    REDESIGNATE("re-designate", true, false);

    private final String words;
    private final boolean repeatable;
    private final boolean followed;

    Step(String words, boolean repeatable, boolean followed) {
        this.words = words;
        this.repeatable = repeatable;
        this.followed = followed;
    }

    /**
     * Whether running this step again after a restart is what a restart does anyway, and harmless:
     * its adapter reads no attempted mark, and what it asks (a round, the roles) may
     * be asked twice. The steps that fence, force down, stage or ask Nova to move are not.
     */
    public boolean repeatable() {
        return repeatable;
    }

    /**
     * Whether a restart that finds this step marked attempted learns from Nova how it ended (the
     * bridge follows the live migration or evacuation Nova has, or judges where the server is):
     * the record of its end may then wait for the journal's next write, as a repeatable step's does.
     */
    public boolean followed() {
        return followed;
    }

    @Override
    public String toString() {
        return words;
    }
}
