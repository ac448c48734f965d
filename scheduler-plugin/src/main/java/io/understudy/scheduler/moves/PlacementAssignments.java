package io.understudy.scheduler.moves;

import static java.util.Objects.requireNonNull;

import io.understudy.scheduler.placement.Assignments;
import io.understudy.scheduler.placement.PlacementChange;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.stream.Collectors;

/**
 * Placement's wishes sent to the agents through the {@link Designator} (only what changed or did
 * not get through before); a VM with an open move is left to the move, which re-designates it.
 * A host a failover forced down keeps its part as a secondary of the VMs evacuated away from it
 * until it is brought back: placement, which sees no replica there while its agent is silent,
 * would otherwise have it told to drop its preserved disk when it returns, instead of rolling
 * it back ({@link BringBack}). Placement may still add other secondaries meanwhile. The VMs Nova
 * deleted are released by {@link GoneVms}.
 */
public final class PlacementAssignments implements Assignments {

    private final Designator designator;
    private final Journal journal;
    private final ForcedDownHosts forcedDown;
    private final GoneVms gone;

    public PlacementAssignments(Designator designator, Journal journal, ForcedDownHosts forcedDown, GoneVms gone) {
        this.designator = requireNonNull(designator, "designator is null");
        this.journal = requireNonNull(journal, "journal is null");
        this.forcedDown = requireNonNull(forcedDown, "forcedDown is null");
        this.gone = requireNonNull(gone, "gone is null");
    }

    @Override
    public void send(List<PlacementChange> changes, Set<UUID> listed, Duration interval) {
        Set<UUID> moving = journal.open().stream().map(m -> m.plan().vm()).collect(Collectors.toSet());
        List<ForcedDownHosts.Host> away = forcedDown.pending();
        for (PlacementChange change : changes) {
            if (!moving.contains(change.vm())) {
                Set<String> secondaries = new TreeSet<>(change.secondaries());
                secondaries.addAll(kept(change.vm(), change.primary(), away));
                designator.assign(change.vm(), change.primary(), List.copyOf(secondaries), interval, false);
            }
        }
        gone.round(listed, moving);
    }

    /** The hosts not back yet that are still VM's secondaries under PRIMARY as last assigned. */
    private Set<String> kept(UUID vm, String primary, List<ForcedDownHosts.Host> away) {
        Set<String> awayHosts = away.stream().filter(h -> h.vms().contains(vm)).map(ForcedDownHosts.Host::host)
                .collect(Collectors.toCollection(HashSet::new));
        if (awayHosts.isEmpty()) {
            // The usual case: no record to read (a shared record, a database row with standby controllers).
            return awayHosts;
        }
        Set<String> assigned = designator.assigned(vm).filter(d -> d.primary().equals(primary))
                .map(d -> Set.copyOf(d.secondaries())).orElse(Set.of());
        awayHosts.retainAll(assigned);
        return awayHosts;
    }
}
