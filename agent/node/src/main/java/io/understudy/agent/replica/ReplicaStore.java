package io.understudy.agent.replica;

import io.understudy.agent.delta.DeltaHeader;
import io.understudy.agent.delta.DeltaReader;
import io.understudy.agent.api.BootImages;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The replicas a node holds, one directory per VM under {@code root}, named by the VM's UUID
 * and nothing a client sends: a path never comes from the wire. {@code root/bases/} keeps the
 * bottom layer of each base image replicas started from, by content, hard-linked into each;
 * {@code root/boot/VM/} the kernel and ramdisk the VM's primary sent (see BootFiles), which outlive
 * a seed that replaces the replica and go with it.
 * A replica is built (a first seed, a start from a base image) in a directory of its own whose
 * name ends in {@code .partial} and takes its VM's place by one rename once whole, so a failure or
 * a crash on the way leaves nothing that stands in the next try's way. Only the agent writes here
 * (the directory is 0700) and nothing here is followed out of it: a symbolic link is ignored.
 */
public final class ReplicaStore {

    private static final Logger LOG = LoggerFactory.getLogger(ReplicaStore.class);
    private static final String BUILDING = ".partial";
    private static final Set<PosixFilePermission> OWNER_ONLY = PosixFilePermissions.fromString("rwx------");
    /** As Nova's own files in its image cache: QEMU reads a kernel and ramdisk copied from there. */
    private static final Set<PosixFilePermission> CACHED = PosixFilePermissions.fromString("rw-r--r--");

    private final Path root;
    private final Path bases;
    private final Path boot;
    private final Clock clock;
    private final Map<UUID, Replica> open = new ConcurrentHashMap<>();
    private final Set<UUID> seeding = ConcurrentHashMap.newKeySet();

    public ReplicaStore(Path root, Clock clock) throws IOException {
        this.root = Files.createDirectories(root);
        Files.setPosixFilePermissions(root, OWNER_ONLY);
        this.bases = root.resolve("bases");
        this.boot = root.resolve("boot");
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
        deleteDir(boot.resolve(vm.toString()));
    }

    /**
     * Keeps {@code body} as the {@code kind} boot file of {@code vm}, replacing the one kept: whole
     * or not at all. Refused with {@link BootFileTooLargeException} past {@link BootFiles#MAX_BYTES}.
     */
    public void keepBootFile(UUID vm, BootFiles.Kind kind, InputStream body) throws IOException {
        Path dir = Files.createDirectories(boot.resolve(vm.toString()));
        Path temp = dir.resolve(kind.fileName() + "." + UUID.randomUUID() + BUILDING);
        try {
            long size = 0;
            try (FileChannel out = FileChannel.open(temp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
                 OutputStream stream = java.nio.channels.Channels.newOutputStream(out)) {
                byte[] buffer = new byte[1 << 16];
                for (int n; (n = body.read(buffer)) >= 0; ) {
                    size += n;
                    if (size > BootFiles.MAX_BYTES) {
                        throw new BootFileTooLargeException(vm, kind);
                    }
                    stream.write(buffer, 0, n);
                }
                out.force(true);
            }
            Files.move(temp, dir.resolve(kind.fileName()), StandardCopyOption.ATOMIC_MOVE,
                    StandardCopyOption.REPLACE_EXISTING);
            Durable.fsyncDirectory(dir);
        } finally {
            Files.deleteIfExists(temp);
        }
    }

    /**
     * Puts the boot files kept for {@code vm} into Nova's image cache {@code cache} under the names
     * Nova looks for (BootFiles#placements): a copy, owned like the cache folder, published by a
     * link that fails rather than replace a file Nova put there meanwhile. Returns the names placed.
     */
    public List<String> placeBootFiles(UUID vm, BootImages images, Path cache) throws IOException {
        Path dir = boot.resolve(vm.toString());
        Set<BootFiles.Kind> held = EnumSet.noneOf(BootFiles.Kind.class);
        for (BootFiles.Kind k : BootFiles.Kind.values()) {
            if (Files.isRegularFile(dir.resolve(k.fileName()), LinkOption.NOFOLLOW_LINKS)) {
                held.add(k);
            }
        }
        if (held.isEmpty()) {
            return List.of();
        }
        cacheFolder(cache);
        Set<String> cached = new HashSet<>();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(cache)) {
            files.forEach(f -> cached.add(f.getFileName().toString()));
        }
        PosixFileAttributes owner = Files.readAttributes(cache, PosixFileAttributes.class);
        List<String> placed = new ArrayList<>();
        for (BootFiles.Placement p : BootFiles.placements(images, held, cached)) {
            // Already there: Nova fetched it meanwhile, and its own copy stays.
            if (placeCopy(dir.resolve(p.kind().fileName()), cache, p.cacheName(), owner)) {
                placed.add(p.cacheName());
            }
        }
        Durable.fsyncDirectory(cache);
        return placed;
    }

    /**
     * Puts the kernel and ramdisk this node keeps for VM into the instance directory a staging just
     * made, as Nova's copies from its image cache, and a {@code disk.info} that says they are raw:
     * Nova's boot then neither copies them, nor asks {@code qemu-img} their format, nor updates its
     * cache entries' times, which on a nova-compute that never did starts its privsep daemon (1.8 s
     * measured here). Only into a directory whose {@code disk.info} does not exist yet, which is the
     * staging's own; anything already there stays.
     *
     * @return the names placed: none when the node keeps neither, or IMAGES names neither
     */
    public List<String> placeInstanceBootFiles(UUID vm, BootImages images, Path instance) throws IOException {
        Path dir = boot.resolve(vm.toString());
        Path diskInfo = instance.resolve(BootFiles.DISK_INFO);
        List<BootFiles.Kind> kinds = BootFiles.named(images).stream()
                .filter(k -> Files.isRegularFile(dir.resolve(k.fileName()), LinkOption.NOFOLLOW_LINKS)).toList();
        if (kinds.isEmpty() || Files.exists(diskInfo, LinkOption.NOFOLLOW_LINKS)) {
            return List.of();
        }
        PosixFileAttributes owner = Files.readAttributes(instance, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        List<BootFiles.Kind> placed = new ArrayList<>();
        for (BootFiles.Kind k : kinds) {
            if (placeCopy(dir.resolve(k.fileName()), instance, k.fileName(), owner)) {
                placed.add(k);
            }
        }
        if (!placed.isEmpty()) {
            Path temp = instance.resolve("." + BootFiles.DISK_INFO + ".understudy" + BUILDING);
            try {
                Files.deleteIfExists(temp);
                Files.writeString(temp, BootFiles.diskInfo(instance, placed), StandardOpenOption.CREATE_NEW,
                        StandardOpenOption.WRITE, StandardOpenOption.SYNC);
                Files.getFileAttributeView(temp, PosixFileAttributeView.class, LinkOption.NOFOLLOW_LINKS)
                        .setPermissions(CACHED);
                own(temp, owner);
                Files.createLink(diskInfo, temp);
            } catch (FileAlreadyExistsException e) {
                // Nova wrote its own meanwhile: it finds the files, and asks their format itself.
            } finally {
                Files.deleteIfExists(temp);
            }
            Durable.fsyncDirectory(instance);
        }
        return placed.stream().map(BootFiles.Kind::fileName).toList();
    }

    /**
     * SOURCE copied into DIR as NAME, readable by all and owned like OWNER, whole and on disk
     * before it appears there; false when NAME exists already (left as it is).
     */
    private static boolean placeCopy(Path source, Path dir, String name, PosixFileAttributes owner)
            throws IOException {
        // A dot name: Nova's cache manager passes over what is not an image's name.
        Path temp = dir.resolve("." + name + ".understudy" + BUILDING);
        try {
            Files.deleteIfExists(temp);
            Files.copy(source, temp, LinkOption.NOFOLLOW_LINKS);
            // Not followed: Nova's user could put a link in its place meanwhile.
            Files.getFileAttributeView(temp, PosixFileAttributeView.class, LinkOption.NOFOLLOW_LINKS)
                    .setPermissions(CACHED);
            own(temp, owner);
            try (FileChannel c = FileChannel.open(temp, StandardOpenOption.WRITE)) {
                c.force(true);
            }
            Files.createLink(dir.resolve(name), temp);
            return true;
        } catch (FileAlreadyExistsException e) {
            return false;
        } finally {
            Files.deleteIfExists(temp);
        }
    }

    /**
     * Nova's image cache folder, made as Nova would make it when this host never cached an image
     * (owned like the instances path). Nova's user owns it: a symbolic link in its place is
     * refused, else it could point the agent's writes anywhere.
     */
    private static void cacheFolder(Path cache) throws IOException {
        if (!Files.exists(cache, LinkOption.NOFOLLOW_LINKS)) {
            try {
                Files.createDirectory(cache);
                own(cache, Files.readAttributes(cache.toAbsolutePath().getParent(), PosixFileAttributes.class));
            } catch (FileAlreadyExistsException e) {
                // Nova made it meanwhile.
            }
        }
        java.nio.file.attribute.BasicFileAttributes a = Files.readAttributes(cache,
                java.nio.file.attribute.BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        if (!a.isDirectory()) {
            throw new UnsafePathException(cache, a.isSymbolicLink() ? "is a symbolic link" : "is not a directory");
        }
    }

    /** Gives {@code file} itself (a link is not followed) the owner and group of {@code like}. */
    private static void own(Path file, PosixFileAttributes like) throws IOException {
        PosixFileAttributeView view = Files.getFileAttributeView(file, PosixFileAttributeView.class,
                LinkOption.NOFOLLOW_LINKS);
        view.setOwner(like.owner());
        view.setGroup(like.group());
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
