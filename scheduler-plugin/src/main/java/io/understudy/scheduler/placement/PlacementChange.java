package io.understudy.scheduler.placement;

import static java.util.Objects.requireNonNull;

import java.util.List;
import java.util.UUID;

/**
 * What placement wants for one VM: the secondaries it keeps, adds and drops, and why.
 *
 * @param secondaries the resulting set: kept + added
 */
public record PlacementChange(UUID vm, String vmName, String primary, List<String> secondaries, List<String> added,
        List<String> dropped, List<String> reasons) {

    public PlacementChange {
        requireNonNull(vm, "vm is null");
        requireNonNull(vmName, "vmName is null");
        requireNonNull(primary, "primary is null");
        secondaries = List.copyOf(secondaries);
        added = List.copyOf(added);
        dropped = List.copyOf(dropped);
        reasons = List.copyOf(reasons);
    }

    public boolean changes() {
        return !added.isEmpty() || !dropped.isEmpty();
    }

    public String logLine() {
        return "vm " + vm + " (" + vmName + ") on " + primary + ": secondaries " + secondaries
                + (added.isEmpty() ? "" : ", add " + added) + (dropped.isEmpty() ? "" : ", drop " + dropped)
                + (reasons.isEmpty() ? "" : ": " + String.join("; ", reasons));
    }
}
