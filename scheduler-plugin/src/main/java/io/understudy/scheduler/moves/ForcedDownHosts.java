package io.understudy.scheduler.moves;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.understudy.scheduler.history.JsonLinesHistory;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;

/**
 * The hosts our failovers forced down in Nova, to be brought back when they return: one file per
 * host ({@link HostFiles}). Only these hosts are ever
 * brought back: a host forced down by someone else is theirs to lift.
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
     * @param note the last thing bringing it back did or waits for, one line
     */
    public record Host(String host, Instant forcedAt, Set<UUID> vms, State state, String note, Instant updatedAt) {
        public Host {
            requireNonNull(host, "host is null");
            requireNonNull(forcedAt, "forcedAt is null");
            vms = Set.copyOf(new TreeSet<>(requireNonNull(vms, "vms is null")));
            requireNonNull(state, "state is null");
            requireNonNull(note, "note is null");
            requireNonNull(updatedAt, "updatedAt is null");
        }

        Host with(State s, String n, Instant at) {
            return new Host(host, forcedAt, vms, s, n, at);
        }
    }

    private final Path dir;
    private final ObjectMapper json = JsonLinesHistory.mapper();

    public ForcedDownHosts(Path dir) {
        this.dir = requireNonNull(dir, "dir is null");
    }

    /**
     * Records that VM's failover forced HOST down at AT: a new record when the host has none or
     * was brought back since, else VM is added to its record.
     */
    public synchronized Host forcedDown(String host, UUID vm, Instant at) {
        Optional<Host> before = get(host).filter(h -> h.state() != State.BACK);
        Set<UUID> vms = new TreeSet<>(before.map(Host::vms).orElse(Set.of()));
        vms.add(requireNonNull(vm, "vm is null"));
        Host h = new Host(host, before.map(Host::forcedAt).orElse(at), vms, State.AWAY,
                "forced down by the failover of " + vm, at);
        save(h);
        return h;
    }

    /** Every host recorded, in name order. */
    public synchronized List<Host> all() {
        List<Host> hosts = new ArrayList<>();
        if (!Files.isDirectory(dir)) {
            return hosts;
        }
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "*.json")) {
            files.forEach(f -> hosts.add(read(f)));
        } catch (IOException e) {
            throw new UncheckedIOException("forced-down hosts " + dir + ": " + e.getMessage(), e);
        }
        hosts.sort(Comparator.comparing(Host::host));
        return hosts;
    }

    /** The hosts not back yet. */
    public List<Host> pending() {
        return all().stream().filter(h -> h.state() != State.BACK).toList();
    }

    public synchronized Optional<Host> get(String host) {
        Path file = file(host);
        return Files.exists(file) ? Optional.of(read(file)) : Optional.empty();
    }

    public synchronized void save(Host host) {
        try {
            HostFiles.write(json, dir, host.host(), host);
        } catch (IOException e) {
            throw new UncheckedIOException("forced-down host " + file(host.host()) + ": " + e.getMessage(), e);
        }
    }

    private Host read(Path file) {
        try {
            return json.readValue(file.toFile(), Host.class);
        } catch (IOException e) {
            throw new UncheckedIOException("forced-down host " + file + " cannot be read: " + e.getMessage(), e);
        }
    }

    private Path file(String host) {
        return HostFiles.file(dir, host);
    }
}
