package io.understudy.scheduler.moves;

import java.util.List;
import java.util.Locale;

/** The two ways a VM moves onto a replica holder, each with its steps in order. */
public enum MoveKind {
    /**
     * The primary still works. Nova copies the disk itself (block migration), so the final sync
     * only freshens the holders, and may fail without stopping the move; the old primary's rounds
     * are held from then on, as a round's backup job would fail Nova's migration.
     */
    LIVE_MIGRATION("live migration", List.of(Step.SYNC, Step.MIGRATE, Step.REDESIGNATE)),
    /**
     * The primary is down. Fenced first, then forced down in Nova (which evacuates only from a
     * compute it sees down, and sees a forced-down one down at once); the replica is staged
     * before Nova is asked, so that the evacuation boots it.
     */
    FAILOVER("failover", List.of(Step.FENCE, Step.FORCE_DOWN, Step.STAGE, Step.EVACUATE, Step.REDESIGNATE));

    private final String words;
    private final List<Step> steps;

    MoveKind(String words, List<Step> steps) {
        this.words = words;
        this.steps = steps;
    }

    public List<Step> steps() {
        return steps;
    }

    /** Its name as a metric's label: "live_migration", "failover". */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    @Override
    public String toString() {
        return words;
    }
}
