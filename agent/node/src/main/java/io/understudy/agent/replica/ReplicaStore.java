package io.understudy.agent.replica;

import io.understudy.agent.delta.DeltaHeader;
import io.understudy.agent.delta.DeltaReader;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The replicas a node holds, one directory per VM under {@code root}, named by the VM's UUID
 * and nothing a client sends: a path never comes from the wire. {@code root/bases/} keeps the
 * bottom layer of each base image replicas started from, by content, hard-linked into each.
 * A replica is built (a first seed, a start from a base image) in a directory of its own whose
 * name ends in {@code .partial} and takes its VM's place by one rename once whole, so a failure or
 * a crash on the way leaves nothing that stands in the next try's way. Only the agent writes here
 * (the directory is 0700) and nothing here is followed out of it: a symbolic link is ignored.
 */
public final class ReplicaStore {

    private static final Logger LOG = LoggerFactory.getLogger(ReplicaStore.class);
    private static final String BUILDING = ".partial";
    private static final Set<PosixFilePermission> OWNER_ONLY = PosixFilePermissions.fromString("rwx------");

    private final Path root;
    private final Path bases;
    private final Clock clock;
    private final Map<UUID, Replica> open = new ConcurrentHashMap<>();
    private final Set<UUID> seeding = ConcurrentHashMap.newKeySet();

    public ReplicaStore(Path root, Clock clock) throws IOException {
        this.root = Files.createDirectories(root);
        Files.setPosixFilePermissions(root, OWNER_ONLY);
        this.bases = root.resolve("bases");
        this.clock = clock;
        try (DirectoryStream<Path> dirs = Files.newDirectoryStream(root)) {
            for (Path dir : dirs) {
                String name = dir.getFileName().toString();
                if (Files.isSymbolicLink(dir)) {
                    LOG.warn("replica store: ignoring {}: a symbolic link; replicas live only in {}", dir, root);
                    continue;
                }
                if (name.endsWith(BUILDING)) {
                    deleteDir(dir); // a replica a crash left half built
                    continue;
                }
                UUID vm = parse(name);
                if (vm == null) {
                    continue;
                }
                if (Files.exists(dir.resolve("state.json"), LinkOption.NOFOLLOW_LINKS)) {
                    open.put(vm, Replica.open(dir, clock));
                } else {
                    LOG.warn("replica store: deleting {}: a replica without a state (an unfinished first seed)", dir);
                    deleteDir(dir);
                }
            }
        }
        pruneBases();
    }

    public Optional<Replica> get(UUID vm) {
        return Optional.ofNullable(open.get(vm));
    }

    /**
     * Receives the first seed of {@code vm}, of which no replica is held yet: built beside the store
     * and taken in once whole. Another first seed of the same VM meanwhile is refused (409); a
     * replica that appeared meanwhile (a start from a base image, a rejoin) stays unless the seed
     * is newer.
     */
    public Replica.Receipt seed(UUID vm, DeltaReader reader, String primary) throws IOException {
        DeltaHeader h = reader.header();
        if (!seeding.add(vm)) {
            throw new FileAlreadyExistsException(root.resolve(vm.toString()).toString(), null,
                    "a first seed of " + vm + " is being received already");
        }
        Path built = root.resolve(vm + "." + UUID.randomUUID() + BUILDING);
        try {
            Replica r = Replica.create(built, vm, h.newSize(), h.clusterSize(), primary, clock);
            Replica.Receipt receipt = r.receive(reader, primary);
            synchronized (this) {
                Replica held = open.get(vm);
                if (held != null && held.state().version() >= receipt.version()) {
                    throw new VersionConflictException(vm, held.state().version(), h.fromVersion());
                }
                adopt(vm, built);
            }
            return receipt;
        } finally {
            deleteDir(built); // gone already once adopted
            seeding.remove(vm);
        }
    }

    /**
     * Starts the replica of {@code vm} at version 0 from a base image whose content hashes to
     * {@code expected}, replacing any replica held so far. An image seen before with that content
     * (for another VM) is linked from {@code bases/}, whether or not the image cache still holds it;
     * otherwise {@code image} is copied ({@link Replica#fromBase}) beside the store, kept in
     * {@code bases/} for the next VM, and taken in only when it hashes as expected. Returns the hash
     * the image has here; empty when there is neither such an image nor one seen before.
     */
    public Optional<String> fromBase(UUID vm, Optional<Path> image, int clusterSize, String primary, String expected)
            throws IOException {
        Path layer = bases.resolve(expected + "-" + clusterSize + ".qcow2");
        Path manifest = bases.resolve(expected + "-" + clusterSize + ".bin");
        Path built = root.resolve(vm + "." + UUID.randomUUID() + BUILDING);
        try {
            if (Files.exists(layer) && Files.exists(manifest)) {
                try {
                    Replica.fromBottom(built, vm, layer, manifest, primary, clock);
                    adopt(vm, built);
                    return Optional.of(expected);
                } catch (NoSuchFileException e) {
                    deleteDir(built); // pruned the moment we looked: made anew below
                }
            }
            if (image.isEmpty()) {
                return Optional.empty();
            }
            String found = Replica.fromBase(built, vm, image.get(), clusterSize, primary, clock).state().manifestHash();
            if (found.equals(expected)) {
                keepBottom(built, layer, manifest);
                adopt(vm, built);
            }
            return Optional.of(found);
        } finally {
            deleteDir(built); // gone already once adopted
        }
    }

    /** Links a replica's new bottom into {@code bases/}, the layer last: its presence marks the pair whole. */
    private void keepBottom(Path built, Path layer, Path manifest) throws IOException {
        Files.createDirectories(bases);
        try {
            Files.deleteIfExists(layer);
            Files.deleteIfExists(manifest);
            Files.createLink(manifest, built.resolve(Replica.BASE_MANIFEST));
            Files.createLink(layer, built.resolve(Replica.BASE_LAYER));
        } catch (FileAlreadyExistsException e) {
            // Another VM's start from the same image kept the same content at the same moment.
        }
    }

    /**
     * Deletes the bottoms in {@code bases/} that nothing links any more (their only name left is the
     * one there): the replicas that started from them were deleted, or a seed replaced their chains,
     * and no staged disk uses them. A squash keeps a chain's bottom, so a live replica keeps its link.
     */
    private synchronized void pruneBases() throws IOException {
        if (!Files.isDirectory(bases)) {
            return;
        }
        try (DirectoryStream<Path> files = Files.newDirectoryStream(bases)) {
            for (Path f : files) {
                if (f.getFileName().toString().endsWith(".qcow2") && (int) Files.getAttribute(f, "unix:nlink") == 1) {
                    Files.deleteIfExists(f);
                    Files.deleteIfExists(bases.resolve(f.getFileName().toString().replaceFirst("\\.qcow2$", ".bin")));
                }
            }
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
            pruneBases();
        }
    }

    /**
     * Deletes a directory of plain files (a replica's, or one being built), if it exists; a
     * symbolic link in its place goes, not what it points to.
     */
    public static void deleteDir(Path dir) throws IOException {
        if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
            Files.deleteIfExists(dir);
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
