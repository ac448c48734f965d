package io.understudy.scheduler.placement;

import java.time.Duration;
import java.util.List;

/** Where placement's wishes go: the agents' protection assignments. */
@FunctionalInterface
public interface Assignments {

    /**
     * Assigns each VM's primary and secondaries as CHANGES want them, replicating every INTERVAL;
     * VMs in the middle of a move are left to the move.
     */
    void send(List<PlacementChange> changes, Duration interval);
}
