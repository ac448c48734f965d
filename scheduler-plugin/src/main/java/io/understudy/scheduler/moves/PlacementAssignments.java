package io.understudy.scheduler.moves;

import static java.util.Objects.requireNonNull;

import io.understudy.scheduler.placement.Assignments;
import io.understudy.scheduler.placement.PlacementChange;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;

/**
 * Placement's wishes sent to the agents through the {@link Designator} (only what changed or did
 * not get through before); a VM with an open move is left to the move, which re-designates it.
 */
public final class PlacementAssignments implements Assignments {

    private final Designator designator;
    private final Journal journal;

    public PlacementAssignments(Designator designator, Journal journal) {
        this.designator = requireNonNull(designator, "designator is null");
        this.journal = requireNonNull(journal, "journal is null");
    }

    @Override
    public void send(List<PlacementChange> changes, Duration interval) {
        Set<UUID> moving = journal.open().stream().map(m -> m.plan().vm()).collect(Collectors.toSet());
        for (PlacementChange change : changes) {
            if (!moving.contains(change.vm())) {
                designator.assign(change.vm(), change.primary(), change.secondaries(), interval, false);
            }
        }
    }
}
