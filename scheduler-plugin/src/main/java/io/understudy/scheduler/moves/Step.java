package io.understudy.scheduler.moves;

/** One step of a move; {@link MoveKind} says which steps a kind of move takes, in which order. */
public enum Step {
    /** A last replication round on the old primary, so that its secondaries are as fresh as they can be. */
    SYNC("final sync"),
    /** Nova live migration to the target, followed to its end. */
    MIGRATE("live migration"),
    /** The old primary's fencer proves it can no longer run the VM. */
    FENCE("fence"),
    /** The target's agent puts its replica in place as the instance's disk. */
    STAGE("stage"),
    /** Nova evacuation onto the staged replica, followed until the VM is ACTIVE there. */
    EVACUATE("evacuate"),
    /**
     * The old primary's nova-compute forced down: Nova then sees it down at once and evacuates from
     * it, and schedules nothing there until it is brought back.
     */
    FORCE_DOWN("force down"),
    /** The roles flip: the target's agent becomes the primary, the others (the old primary too) its secondaries. */
    REDESIGNATE("re-designate"),
    /** The server's metadata says where it runs now and who holds its replicas. */
    PUBLISH("metadata");

    private final String words;

    Step(String words) {
        this.words = words;
    }

    @Override
    public String toString() {
        return words;
    }
}
