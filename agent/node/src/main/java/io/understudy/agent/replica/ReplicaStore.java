package io.understudy.agent.replica;

import io.understudy.agent.delta.DeltaHeader;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The replicas a node holds, one directory per VM under {@code root}, named by the VM's UUID
 * and nothing a client sends: a path never comes from the wire.
 */
public final class ReplicaStore {

    private static final String BUILDING = ".base.partial";

    private final Path root;
    private final Clock clock;
    private final Map<UUID, Replica> open = new ConcurrentHashMap<>();

    public ReplicaStore(Path root, Clock clock) throws IOException {
        this.root = Files.createDirectories(root);
        this.clock = clock;
        try (DirectoryStream<Path> dirs = Files.newDirectoryStream(root)) {
            for (Path dir : dirs) {
                if (dir.getFileName().toString().endsWith(BUILDING)) {
                    deleteDir(dir); // a replica a crash left half built from a base image
                    continue;
                }
                UUID vm = parse(dir.getFileName().toString());
                if (vm != null && Files.exists(dir.resolve("state.json"))) {
                    open.put(vm, Replica.open(dir, clock));
                }
            }
        }
    }

    public Optional<Replica> get(UUID vm) {
        return Optional.ofNullable(open.get(vm));
    }

    /** The replica of {@code vm}, created empty from a seed delta's header when there is none yet. */
    public synchronized Replica getOrCreate(UUID vm, DeltaHeader seed, String primary) throws IOException {
        Replica r = open.get(vm);
        if (r == null) {
            r = Replica.create(root.resolve(vm.toString()), vm, seed.newSize(), seed.clusterSize(), primary, clock);
            open.put(vm, r);
        }
        return r;
    }

    /**
     * Builds the replica of {@code vm} at version 0 from a local base image ({@link Replica#fromBase})
     * beside the store, and takes it in, replacing any replica held so far, only when the image's
     * manifest hash is {@code expected}. Returns the hash the image has here.
     */
    public String fromBase(UUID vm, Path image, int clusterSize, String primary, String expected) throws IOException {
        Path built = root.resolve(vm + "." + UUID.randomUUID() + BUILDING);
        try {
            String found = Replica.fromBase(built, vm, image, clusterSize, primary, clock).state().manifestHash();
            if (found.equals(expected)) {
                adopt(vm, built);
            }
            return found;
        } finally {
            deleteDir(built); // gone already once adopted
        }
    }

    /**
     * Takes in a replica built elsewhere ({@link Replica#adopt}, in a directory on the same file
     * system), replacing any replica of {@code vm} held so far, and opens it here.
     */
    public synchronized Replica adopt(UUID vm, Path built) throws IOException {
        delete(vm);
        Path dir = root.resolve(vm.toString());
        deleteDir(dir); // what a crash left without a state
        Files.move(built, dir, StandardCopyOption.ATOMIC_MOVE);
        Durable.fsyncDirectory(root);
        Replica r = Replica.open(dir, clock);
        open.put(vm, r);
        return r;
    }

    public List<Replica> all() {
        return new ArrayList<>(open.values());
    }

    /** Forgets a replica and deletes its files (the VM is no longer protected here). */
    public synchronized void delete(UUID vm) throws IOException {
        Replica r = open.remove(vm);
        if (r != null) {
            deleteDir(r.dir());
        }
    }

    /** Deletes a directory of plain files (a replica's, or one being built), if it exists. */
    public static void deleteDir(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            return;
        }
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir)) {
            for (Path f : files) {
                Files.deleteIfExists(f);
            }
        }
        Files.deleteIfExists(dir);
    }

    private static UUID parse(String name) {
        try {
            UUID vm = UUID.fromString(name);
            return vm.toString().equals(name) ? vm : null;
        } catch (IllegalArgumentException e) {
            return null;
        }
    }
}
