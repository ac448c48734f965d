package io.understudy.scheduler.moves;

import static java.util.Objects.requireNonNull;

import io.understudy.scheduler.history.JsonLinesHistory;
import io.understudy.scheduler.records.RecordSet;
import io.understudy.scheduler.records.Records;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;

/**
 * The hosts our failovers forced down in Nova, to be brought back when they return: one record
 * per host, seen by every controller. Only these hosts are ever brought back: a host forced down
 * by someone else is theirs to lift.
 */
public final class ForcedDownHosts {

    /** Where bringing a host back stands. */
    public enum State {
        /** Forced down by a failover of ours; not back yet (its agent silent, or not ours to touch yet). */
        AWAY,
        /** Its agent answers: waiting for Nova's cleanup, lifting forced_down, re-sending the roles. */
        RETURNING,
        /** Forced_down lifted and its agent a secondary of the VMs evacuated away from it. */
        BACK
    }

    /**
     * @param vms the VMs whose failovers forced it down (some may have stopped before evacuating)
     * @param statusBefore the service's status before the first of them ("enabled", or "disabled:
     *     REASON", an operator's disable that bringing it back leaves alone); empty when Nova did not
     *     say, or the record is older than this field
     * @param note the last thing bringing it back did or waits for, one line
     */
    public record Host(String host, Instant forcedAt, Set<UUID> vms, Optional<String> statusBefore, State state,
            String note, Instant updatedAt) {
        public Host {
            requireNonNull(host, "host is null");
            requireNonNull(forcedAt, "forcedAt is null");
            vms = Set.copyOf(new TreeSet<>(requireNonNull(vms, "vms is null")));
            requireNonNull(statusBefore, "statusBefore is null");
            requireNonNull(state, "state is null");
            requireNonNull(note, "note is null");
            requireNonNull(updatedAt, "updatedAt is null");
        }

        Host with(State s, String n, Instant at) {
            return new Host(host, forcedAt, vms, statusBefore, s, n, at);
        }
    }

    static final String KIND = "forced-down";

    private final RecordSet<Host> hosts;

    public ForcedDownHosts(Records records) {
        this.hosts = new RecordSet<>(records, KIND, JsonLinesHistory.mapper(), Host.class);
    }

    /**
     * Records that VM's failover forced HOST down at AT, its service's status having been
     * STATUS_BEFORE: a new record when the host has none or was brought back since, else VM is
     * added to its record, which keeps the status from before the first failover.
     */
    public synchronized Host forcedDown(String host, UUID vm, Instant at, Optional<String> statusBefore) {
        Optional<Host> before = get(host).filter(h -> h.state() != State.BACK);
        Set<UUID> vms = new TreeSet<>(before.map(Host::vms).orElse(Set.of()));
        vms.add(requireNonNull(vm, "vm is null"));
        Host h = new Host(host, before.map(Host::forcedAt).orElse(at), vms,
                before.isPresent() ? before.get().statusBefore() : statusBefore, State.AWAY,
                "forced down by the failover of " + vm, at);
        save(h);
        return h;
    }

    /** Every host recorded, in name order. */
    public synchronized List<Host> all() {
        return hosts.all();
    }

    /** The hosts not back yet. */
    public List<Host> pending() {
        return all().stream().filter(h -> h.state() != State.BACK).toList();
    }

    public synchronized Optional<Host> get(String host) {
        return hosts.get(host);
    }

    public synchronized void save(Host host) {
        hosts.put(host.host(), host);
    }
}
