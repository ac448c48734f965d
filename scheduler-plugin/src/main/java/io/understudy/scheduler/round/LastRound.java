package io.understudy.scheduler.round;

import io.understudy.scheduler.stats.ProtectedVm;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;

/**
 * The last rounds this controller ran, for its status API: the newest that read Nova, and the
 * newest that listed every protected VM. An evaluation round that records no STAY leaves out the
 * VMs on quiet hosts (its cost stays with the hosts that need a decision); a placement round lists
 * them all, so the VMs a newer round left out are taken from it.
 */
public final class LastRound {

    /** The newest round, and the VMs of an older full round that it left out (they stay). */
    public record Seen(RoundResult round, List<ProtectedVm> quiet) {}

    private final AtomicReference<RoundResult> latest = new AtomicReference<>();
    private final AtomicReference<RoundResult> latestFull = new AtomicReference<>();

    /** Keeps ROUND if it read Nova; FULL says it lists every protected VM. */
    public void record(RoundResult round, boolean full) {
        if (!round.ok()) {
            return;
        }
        latest.set(round);
        if (full) {
            latestFull.set(round);
        }
    }

    /** What this controller last saw; empty before its first round that read Nova. */
    public Optional<Seen> seen() {
        RoundResult round = latest.get();
        if (round == null) {
            return Optional.empty();
        }
        RoundResult full = latestFull.get();
        if (full == null || full == round) {
            return Optional.of(new Seen(round, List.of()));
        }
        Set<UUID> listed = round.vms().stream().map(ProtectedVm::id).collect(Collectors.toSet());
        List<ProtectedVm> quiet = new ArrayList<>();
        full.vms().stream().filter(vm -> !listed.contains(vm.id())).forEach(quiet::add);
        return Optional.of(new Seen(round, quiet));
    }
}
