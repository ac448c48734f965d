package io.understudy.scheduler.moves;

import java.util.List;

/** The two ways a VM moves onto a replica holder, each with its steps in order. */
public enum MoveKind {
    /**
     * The primary still works. Nova copies the disk itself (block migration), so the final sync
     * only freshens the secondaries that stay; it may fail without stopping the move.
     */
    LIVE_MIGRATION("live migration", List.of(Step.SYNC, Step.MIGRATE, Step.REDESIGNATE, Step.PUBLISH)),
    /**
     * The primary is down. Fenced first; the replica is staged before Nova is asked, so that the
     * evacuation boots it; forced down after, because forcing down rewrites the report time Nova
     * shows and the bridge would then wait service_down_time before evacuating.
     */
    FAILOVER("failover", List.of(Step.FENCE, Step.STAGE, Step.EVACUATE, Step.FORCE_DOWN, Step.REDESIGNATE,
            Step.PUBLISH));

    private final String words;
    private final List<Step> steps;

    MoveKind(String words, List<Step> steps) {
        this.words = words;
        this.steps = steps;
    }

    public List<Step> steps() {
        return steps;
    }

    @Override
    public String toString() {
        return words;
    }
}
