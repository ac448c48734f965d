package io.understudy.scheduler.placement;

import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.UUID;

/** Where placement's wishes go: the agents' protection assignments, and their release once Nova deleted a VM. */
@FunctionalInterface
public interface Assignments {

    /**
     * Assigns each VM's primary and secondaries as CHANGES want them, replicating every INTERVAL,
     * and releases the VMs assigned before that are not among LISTED (every server in Nova's
     * listing, read whole) once they have been missing long enough; VMs in the middle of a move
     * are left to the move.
     */
    void send(List<PlacementChange> changes, Set<UUID> listed, Duration interval);
}
