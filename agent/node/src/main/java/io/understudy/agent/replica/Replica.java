package io.understudy.agent.replica;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.understudy.agent.api.Json;
import io.understudy.agent.delta.BadDeltaException;
import io.understudy.agent.delta.DeltaHeader;
import io.understudy.agent.delta.DeltaReader;
import io.understudy.agent.delta.DeltaStats;
import io.understudy.agent.delta.DeltaWriter;
import io.understudy.agent.delta.Differ;
import io.understudy.agent.delta.Divergence;
import io.understudy.agent.delta.Manifest;
import io.understudy.agent.delta.ManifestFile;
import io.understudy.agent.delta.ManifestUpdate;
import io.understudy.agent.qcow2.BackingChain;
import io.understudy.agent.qcow2.LayerWriter;
import io.understudy.agent.qcow2.Qcow2Check;
import io.understudy.agent.qcow2.Qcow2Image;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFileAttributes;
import java.security.MessageDigest;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.locks.ReentrantLock;

/**
 * One VM's replica on a secondary: a chain of immutable qcow2 layers, the per-cluster hashes of
 * the version they hold, and {@code state.json}, whose atomic replacement is the commit point of
 * every change. A delta becomes a new layer (published by rename) and a new manifest file first;
 * only then does the state name them. A crash at any instant therefore leaves the previous
 * version whole; {@link #open} deletes whatever the state does not name.
 *
 * <p>Readers of the state never wait for a writer: a delta's body streams in for as long as its
 * sender takes, so a writer holds the replica's writer lock throughout, while the state itself is
 * an immutable snapshot replaced at each commit. Only the commit (the new state and the removal of
 * the files it no longer names) and readers that follow the state's names to files share a short
 * lock, never held over network input.
 *
 * <pre>
 * DIR/state.json                 version, chain (bottom first), manifest file and hash, capture time
 * DIR/0000000007.qcow2 ...       layers, named by the version they complete
 * DIR/manifest-0000000007.bin    per-cluster SHA-256 of that version
 * DIR/base.qcow2, manifest-base.bin   the bottom of a replica started from a base image (version 0)
 * </pre>
 */
public final class Replica {

    /** What the replica holds, as {@code state.json} says. */
    public record State(UUID vm, long version, int clusterSize, long virtualSize, List<String> chain,
            String manifest, String manifestHash, long capturedAtMillis, String primary) {
        public State {
            chain = List.copyOf(chain);
        }

        String top() {
            return chain.get(chain.size() - 1);
        }
    }

    /** The outcome of one delta: applied, or already held (a replay). */
    public record Receipt(UUID vm, long version, boolean applied, DeltaStats stats) {}

    private static final String STATE = "state.json";
    /** The bottom layer of a replica started from a base image, and its manifest: version 0. */
    static final String BASE_LAYER = "base.qcow2";
    static final String BASE_MANIFEST = "manifest-base.bin";
    private static final ObjectMapper JSON = Json.mapper();

    private final Path dir;
    private final Clock clock;
    /** One change at a time: held by a delta's receipt for as long as its body streams in. */
    private final ReentrantLock writer = new ReentrantLock();
    /** A commit, and a reader following the state's names to files: short, never over network input. */
    private final Object files = new Object();
    private volatile State state;

    private Replica(Path dir, State state, Clock clock) {
        this.dir = dir;
        this.state = state;
        this.clock = clock;
    }

    /** A new, empty replica (version 0: an empty disk) of a VM whose disk has the given size and unit. */
    public static Replica create(Path dir, UUID vm, long virtualSize, int clusterSize, String primary, Clock clock)
            throws IOException {
        Files.createDirectories(dir);
        if (Files.exists(dir.resolve(STATE))) {
            throw new IOException(dir + ": a replica exists already");
        }
        String layer = layerName(0);
        Path temp = dir.resolve(layer + ".partial");
        try {
            try (FileChannel out = FileChannel.open(temp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                new LayerWriter(out, virtualSize, Integer.numberOfTrailingZeros(clusterSize), null, null).finish();
                out.force(true);
            }
            Files.move(temp, dir.resolve(layer), StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(temp);
        }
        String manifest = manifestName(0);
        byte[] hash;
        try (ManifestFile.Writer w = new ManifestFile.Writer(dir.resolve(manifest), clusterSize, virtualSize)) {
            hash = w.finish();
        }
        Replica r = new Replica(dir, new State(vm, 0, clusterSize, virtualSize, List.of(layer), manifest,
                HexFormat.of().formatHex(hash), 0, primary), clock);
        r.commit(r.state);
        return r;
    }

    /** Opens a replica and removes what a crash left behind: files its state does not name. */
    public static Replica open(Path dir, Clock clock) throws IOException {
        State state = JSON.readValue(dir.resolve(STATE).toFile(), State.class);
        Replica r = new Replica(dir, state, clock);
        r.removeUnnamed(true);
        return r;
    }

    public State state() {
        return state;
    }

    public Path dir() {
        return dir;
    }

    /** Seconds between the capture of the guest state held and now; empty before the first delta. */
    public OptionalDouble lagSeconds() {
        long captured = state.capturedAtMillis();
        if (captured == 0) {
            return OptionalDouble.empty();
        }
        return OptionalDouble.of(Math.max(0, clock.millis() - captured) / 1000.0);
    }

    /** The top layer: the image that reads as the replica's disk. */
    public Path top() {
        return dir.resolve(state.top());
    }

    /** Bytes of all layers and the manifest. */
    public long bytes() throws IOException {
        synchronized (files) {
            State s = state;
            long total = Files.size(dir.resolve(s.manifest()));
            for (String layer : s.chain()) {
                total += Files.size(dir.resolve(layer));
            }
            return total;
        }
    }

    /**
     * Applies one delta from PRIMARY, which the replica then names as its primary (after a move,
     * the new one). Idempotent by VM and versions: a delta that leads to the version held is a
     * replay and changes nothing. A delta from another version than the one held is refused with
     * {@link VersionConflictException} before anything is written.
     */
    public Receipt receive(DeltaReader reader, String primary) throws IOException {
        writer.lock();
        try {
            return receiveLocked(reader, primary);
        } finally {
            writer.unlock();
        }
    }

    private Receipt receiveLocked(DeltaReader reader, String primary) throws IOException {
        DeltaHeader h = reader.header();
        if (h.vm().isEmpty() || !h.vm().get().equals(state.vm())) {
            throw new BadDeltaException("the delta is for VM " + h.vm().map(UUID::toString).orElse("(none)")
                    + ", this replica holds " + state.vm());
        }
        if (h.toVersion() <= h.fromVersion()) {
            throw new BadDeltaException("the delta goes from version " + h.fromVersion() + " to " + h.toVersion());
        }
        if (h.toVersion() == state.version() && h.fromVersion() < state.version()) {
            return new Receipt(state.vm(), state.version(), false, null);
        }
        // A seed carries the whole disk: it may replace any older version, never a newer one.
        boolean fits = h.seed() ? h.toVersion() > state.version() : h.fromVersion() == state.version();
        if (!fits) {
            throw new VersionConflictException(state.vm(), state.version(), h.fromVersion());
        }
        if (!h.seed() && h.clusterSize() != state.clusterSize()) {
            throw new BadDeltaException("the delta's unit is " + h.clusterSize() + " bytes, the replica's "
                    + state.clusterSize() + "; only a seed may change it");
        }
        byte[] knownBase = h.seed() ? new Manifest(h.clusterSize(), h.newSize()).finish()
                : HexFormat.of().parseHex(state.manifestHash());
        String layer = layerName(h.toVersion());
        String manifest = manifestName(h.toVersion());
        Applied applied = apply(reader, layer, manifest, knownBase, null);
        DeltaStats stats = applied.stats();
        List<String> chain = new ArrayList<>(h.seed() ? List.of() : state.chain());
        // A round in which the guest wrote nothing moves the version and the capture time, not the chain.
        boolean empty = !h.seed() && stats.newClusters() == 0 && stats.zeroClusters() == 0
                && h.newSize() == state.virtualSize();
        if (!empty) {
            chain.add(layer);
        }
        commit(new State(state.vm(), h.toVersion(), h.clusterSize(), h.newSize(), chain, manifest,
                applied.hash(), h.capturedAtMillis(), primary));
        return new Receipt(state.vm(), state.version(), true, stats);
    }

    private record Applied(DeltaStats stats, String hash) {}

    /**
     * Writes {@code reader} as {@code layer} over the chain (a seed: alone) and the manifest that
     * follows as {@code manifest}. With {@code expected}, the new content must hash to it. On any
     * failure neither file is left; on success the state does not name them yet.
     */
    private Applied apply(DeltaReader reader, String layer, String manifest, byte[] knownBase, byte[] expected)
            throws IOException {
        DeltaHeader h = reader.header();
        Path manifestTemp = dir.resolve(manifest + ".partial");
        Files.deleteIfExists(manifestTemp);
        byte[] hash;
        DeltaStats stats;
        try (ManifestFile.Reader old = h.seed() ? null : new ManifestFile.Reader(dir.resolve(state.manifest()));
             ManifestFile.Writer next = new ManifestFile.Writer(manifestTemp, h.clusterSize(), h.newSize())) {
            ManifestFile.Reader from = old != null ? old
                    : ManifestFile.empty(dir.resolve("manifest-empty.bin.partial"), h.clusterSize(), h.newSize());
            try {
                ManifestUpdate update = new ManifestUpdate(from, next, h);
                stats = LayerApply.apply(h.seed() ? null : top(), reader, dir.resolve(layer),
                        new LayerApply.Options(false, knownBase, update, false));
                hash = update.finish();
            } finally {
                if (old == null) {
                    from.close();
                }
            }
            if (expected != null && !MessageDigest.isEqual(hash, expected)) {
                throw new BadDeltaException(this + ": after the repair the content still differs from the manifest "
                        + HexFormat.of().formatHex(expected));
            }
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(manifestTemp);
            Files.deleteIfExists(dir.resolve(layer));
            throw e;
        }
        Files.move(manifestTemp, dir.resolve(manifest), StandardCopyOption.ATOMIC_MOVE);
        return new Applied(stats, HexFormat.of().formatHex(hash));
    }

    /**
     * A replica made from a local disk (the preserved disk of a VM this node was primary for) and
     * labelled {@code version}: one standalone layer with the disk's content, its manifest computed
     * on the way. Whether that content is the version is for {@link #rollBack} to settle; until
     * then the replica lives in a directory of its own, outside the store.
     */
    public static Replica adopt(Path dir, UUID vm, Path disk, long version, int clusterSize, long capturedAtMillis,
            String primary, Clock clock) throws IOException {
        try (BackingChain chain = BackingChain.open(disk)) {
            Replica r = create(dir, vm, chain.virtualSize(), clusterSize, primary, clock);
            DeltaHeader seed = new DeltaHeader(clusterSize, chain.virtualSize(), chain.virtualSize(), true,
                    Optional.of(new Manifest(clusterSize, chain.virtualSize()).finish()), Optional.of(vm), 0, version,
                    capturedAtMillis);
            seedFrom(chain, seed, reader -> r.receive(reader, primary));
            return r;
        }
    }

    /**
     * A replica at version 0 that holds a base image's content (the image a VM's disk is an overlay
     * of, from this node's own image cache), so that the VM's first delta carries only what it wrote
     * above the image. The bottom layer is a copy of the image's data, not a link to it: Nova's image
     * cache deletes an image no instance of this node uses, and the replica must outlive that.
     */
    public static Replica fromBase(Path dir, UUID vm, Path image, int clusterSize, String primary, Clock clock)
            throws IOException {
        try (BackingChain chain = BackingChain.open(image)) {
            Replica r = create(dir, vm, chain.virtualSize(), clusterSize, primary, clock);
            DeltaHeader seed = new DeltaHeader(clusterSize, chain.virtualSize(), chain.virtualSize(), true,
                    Optional.of(new Manifest(clusterSize, chain.virtualSize()).finish()), Optional.of(vm), 0, 0, 0);
            seedFrom(chain, seed, r::installBase);
            return r;
        }
    }

    /**
     * A replica at version 0 whose bottom layer and manifest are links to ones {@link #fromBase}
     * made before (the same image, for another VM): no copy, no hashing.
     */
    public static Replica fromBottom(Path dir, UUID vm, Path layer, Path manifest, String primary, Clock clock)
            throws IOException {
        Files.createDirectories(dir);
        if (Files.exists(dir.resolve(STATE))) {
            throw new IOException(dir + ": a replica exists already");
        }
        ManifestFile.Summary m = ManifestFile.summary(manifest);
        Files.createLink(dir.resolve(BASE_LAYER), layer);
        Files.createLink(dir.resolve(BASE_MANIFEST), manifest);
        Replica r = new Replica(dir, new State(vm, 0, m.clusterSize(), m.virtualSize(), List.of(BASE_LAYER),
                BASE_MANIFEST, HexFormat.of().formatHex(m.hash()), 0, primary), clock);
        r.commit(r.state);
        return r;
    }

    private DeltaStats installBase(DeltaReader reader) throws IOException {
        writer.lock();
        try {
            DeltaHeader h = reader.header();
            Applied applied = apply(reader, BASE_LAYER, BASE_MANIFEST,
                    new Manifest(h.clusterSize(), h.newSize()).finish(), null);
            commit(new State(state.vm(), 0, h.clusterSize(), h.newSize(), List.of(BASE_LAYER), BASE_MANIFEST,
                    applied.hash(), 0, state.primary()));
            return applied.stats();
        } finally {
            writer.unlock();
        }
    }

    /**
     * Rolls the replica back to the content named {@code expected}: {@code repair} holds that
     * content at every cluster where this replica differs from it (see Divergence) and becomes one
     * more layer. The result must hash to {@code expected}, else nothing changes. The version stays.
     */
    public DeltaStats rollBack(DeltaReader repair, byte[] expected) throws IOException {
        writer.lock();
        try {
            return rollBackLocked(repair, expected);
        } finally {
            writer.unlock();
        }
    }

    private DeltaStats rollBackLocked(DeltaReader repair, byte[] expected) throws IOException {
        DeltaHeader h = repair.header();
        if (h.seed() || !h.vm().equals(Optional.of(state.vm())) || h.toVersion() != state.version()
                || h.clusterSize() != state.clusterSize() || h.newSize() != state.virtualSize()) {
            throw new BadDeltaException("the repair delta (VM " + h.vm().map(UUID::toString).orElse("(none)")
                    + ", version " + h.toVersion() + ", " + h.clusterSize() + "-byte units, " + h.newSize()
                    + " bytes) does not fit the " + this);
        }
        String suffix = String.format("%010d-rollback", state.version());
        Applied applied = apply(repair, suffix + ".qcow2", "manifest-" + suffix + ".bin", null, expected);
        List<String> chain = new ArrayList<>(state.chain());
        chain.add(suffix + ".qcow2");
        commit(new State(state.vm(), state.version(), state.clusterSize(), state.virtualSize(), chain,
                "manifest-" + suffix + ".bin", applied.hash(), state.capturedAtMillis(), state.primary()));
        return applied.stats();
    }

    /** The per-cluster hashes of the version held, opened for reading. */
    public InputStream manifest() throws IOException {
        synchronized (files) {
            return Files.newInputStream(dir.resolve(state.manifest()));
        }
    }

    /**
     * Writes the content of the version held at the clusters of {@code runs} as a delta from and to
     * that version: what a former primary rolls back with (see Divergence).
     */
    public DeltaStats clusters(long[] runs, OutputStream out) throws IOException {
        State s = state();
        // Layers never change once named, so this reads a fixed version without holding the lock.
        try (BackingChain chain = BackingChain.open(dir.resolve(s.top()))) {
            DeltaHeader h = new DeltaHeader(s.clusterSize(), s.virtualSize(), s.virtualSize(), false, Optional.empty(),
                    Optional.of(s.vm()), s.version(), s.version(), s.capturedAtMillis());
            return Divergence.write(chain, runs, new DeltaWriter(out, h));
        }
    }

    /**
     * Merges every layer between the bottom and the top into one, when the chain is longer than
     * {@code maxLayers}. The merged layer replaces, by rename, the highest layer it covers: it reads
     * the same, so the layer above still names a valid backing file. The heavy part runs without
     * the replica's lock; deltas keep arriving meanwhile.
     *
     * @return whether the chain was squashed
     */
    public boolean squash(int maxLayers) throws IOException {
        if (maxLayers < 2) {
            throw new IllegalArgumentException("a chain needs room for a bottom and a top layer");
        }
        State before = state();
        List<String> chain = before.chain();
        if (chain.size() <= maxLayers || chain.size() < 3) {
            return false;
        }
        int k = chain.size() - 2;
        Path bottom = dir.resolve(chain.get(0));
        Path target = dir.resolve(chain.get(k));
        Path delta = dir.resolve("squash.delta.partial");
        Path merged = dir.resolve("squash-" + chain.get(k) + ".partial");
        try {
            try (BackingChain lower = BackingChain.open(bottom); BackingChain upper = BackingChain.open(target);
                 OutputStream out = new BufferedOutputStream(Files.newOutputStream(delta), 1 << 20)) {
                Differ.diff(lower, upper, new DeltaWriter(out, DeltaHeader.of(before.clusterSize(),
                        upper.virtualSize(), lower.virtualSize(), false, null)));
            }
            try (InputStream in = new BufferedInputStream(Files.newInputStream(delta), 1 << 20)) {
                LayerApply.apply(bottom, DeltaReader.open(in), merged, LayerApply.Options.DEFAULT);
            }
            // A writer names the layers it builds on when it commits: the squash must not commit between.
            writer.lock();
            try {
                List<String> now = state.chain();
                if (now.size() <= k || !now.subList(0, k + 1).equals(chain.subList(0, k + 1))) {
                    return false; // a seed replaced the chain meanwhile
                }
                Files.move(merged, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                Durable.fsyncDirectory(dir);
                List<String> squashed = new ArrayList<>();
                squashed.add(now.get(0));
                squashed.addAll(now.subList(k, now.size()));
                commit(new State(state.vm(), state.version(), state.clusterSize(), state.virtualSize(), squashed,
                        state.manifest(), state.manifestHash(), state.capturedAtMillis(), state.primary()));
            } finally {
                writer.unlock();
            }
            return true;
        } finally {
            Files.deleteIfExists(delta);
            Files.deleteIfExists(merged);
        }
    }

    /**
     * Puts the replica where the next boot uses it: its layers are linked (or copied, across file
     * systems) into {@code instanceDir}, and a new empty overlay named {@code diskName} on top takes
     * the guest's writes, so the replica's own layers never change. Takes milliseconds whatever
     * the disk's size: this is on the recovery path. The overlay (and {@code instanceDir}, when
     * staging makes it) belongs to the owner of {@code instanceDir}'s parent (Nova's instances
     * path), as Nova's own files there do; the layers keep their owner, since a link is the
     * replica's own file.
     */
    public Path stage(Path instanceDir, String diskName) throws IOException {
        Path disk = prepareStage(instanceDir, diskName);
        // The commit lock keeps the layers named here from being deleted while they are linked.
        synchronized (files) {
            State s = state;
            for (String layer : s.chain()) {
                Path link = instanceDir.resolve(layer);
                if (present(link)) {
                    continue; // staged before: a layer's name always reads the same content
                }
                try {
                    Files.createLink(link, dir.resolve(layer));
                } catch (IOException | UnsupportedOperationException e) {
                    Files.copy(dir.resolve(layer), link, StandardCopyOption.COPY_ATTRIBUTES,
                            LinkOption.NOFOLLOW_LINKS);
                }
            }
            Path temp = instanceDir.resolve("." + diskName + ".partial");
            Files.deleteIfExists(temp);
            try (FileChannel out = FileChannel.open(temp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                new LayerWriter(out, s.virtualSize(), Integer.numberOfTrailingZeros(s.clusterSize()), s.top(),
                        "qcow2").finish();
                out.force(true);
            }
            ownLike(instanceDir, temp);
            Files.move(temp, disk, StandardCopyOption.ATOMIC_MOVE);
        }
        Durable.fsyncDirectory(instanceDir);
        return disk;
    }

    /**
     * The same replica as one standalone qcow2 file (no backing file): for a target that must not
     * depend on the replica's files. Costs a read and a write of the disk's data.
     */
    public Path stageFlat(Path instanceDir, String diskName) throws IOException {
        State s = state();
        Path disk = prepareStage(instanceDir, diskName);
        // Layers never change once named, so the copy reads a fixed version without holding the lock.
        try (BackingChain chain = BackingChain.open(dir.resolve(s.top()))) {
            DeltaHeader seed = new DeltaHeader(s.clusterSize(), s.virtualSize(), s.virtualSize(), true,
                    Optional.empty(), Optional.of(s.vm()), 0, s.version(), s.capturedAtMillis());
            seedFrom(chain, seed, reader -> LayerApply.apply(null, reader, disk, LayerApply.Options.DEFAULT));
        }
        ownLike(instanceDir, disk);
        return disk;
    }

    /** What takes a delta stream: a layer's apply, a replica's receipt. */
    private interface DeltaTaker {
        Object take(DeltaReader reader) throws IOException;
    }

    /** Streams {@code chain}'s whole content as the seed {@code seed} into {@code taker}, on this thread. */
    private static void seedFrom(BackingChain chain, DeltaHeader seed, DeltaTaker taker) throws IOException {
        PipedInputStream in = new PipedInputStream(1 << 20);
        PipedOutputStream pipe = new PipedOutputStream(in);
        CompletableFuture<DeltaStats> diff = CompletableFuture.supplyAsync(() -> {
            try (OutputStream out = new BufferedOutputStream(pipe, 1 << 20)) {
                return Differ.diff(null, chain, new DeltaWriter(out, seed));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
        try (InputStream delta = in) {
            taker.take(DeltaReader.open(delta));
        }
        diff.join();
    }

    /**
     * The instance directory, made when missing, and the disk's path in it. Nothing in it is
     * followed: the directory's owner (Nova) could otherwise point the agent's writes anywhere.
     */
    private static Path prepareStage(Path instanceDir, String diskName) throws IOException {
        if (!present(instanceDir)) {
            Files.createDirectories(instanceDir.toAbsolutePath().getParent());
            Files.createDirectory(instanceDir);
            ownLike(instanceDir, instanceDir);
        }
        BasicFileAttributes found = Files.readAttributes(instanceDir, BasicFileAttributes.class,
                LinkOption.NOFOLLOW_LINKS);
        if (!found.isDirectory()) {
            throw new UnsafePathException(instanceDir, found.isSymbolicLink() ? "is a symbolic link"
                    : "is not a directory");
        }
        Path disk = instanceDir.resolve(diskName);
        if (present(disk)) {
            throw new FileAlreadyExistsException(disk.toString(), null, "refusing to replace a disk");
        }
        return disk;
    }

    /**
     * Whether anything is at {@code path}, a link included (not followed); a symbolic link is
     * refused, since what staging writes or links there must be the file it names.
     */
    private static boolean present(Path path) throws IOException {
        BasicFileAttributes a;
        try {
            a = Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        } catch (NoSuchFileException e) {
            return false;
        }
        if (a.isSymbolicLink()) {
            throw new UnsafePathException(path, "is a symbolic link");
        }
        return true;
    }

    /** Gives {@code file} (not a link's target) the owner and group of the instance directory's parent. */
    private static void ownLike(Path instanceDir, Path file) throws IOException {
        Path parent = instanceDir.toAbsolutePath().getParent();
        PosixFileAttributes owner = Files.readAttributes(parent, PosixFileAttributes.class);
        PosixFileAttributeView view = Files.getFileAttributeView(file, PosixFileAttributeView.class,
                LinkOption.NOFOLLOW_LINKS);
        view.setOwner(owner.owner());
        view.setGroup(owner.group());
    }

    /** Every layer passes the structural check and the chain's content matches the manifest. */
    public Verification verify() throws IOException {
        State s = state();
        List<String> problems = new ArrayList<>();
        for (String layer : s.chain()) {
            try (Qcow2Image image = Qcow2Image.open(dir.resolve(layer))) {
                Qcow2Check.Result result = Qcow2Check.check(image);
                if (!result.clean()) {
                    problems.add(layer + ": " + result.problems());
                }
            }
        }
        try (BackingChain chain = BackingChain.open(dir.resolve(s.top()))) {
            String actual = HexFormat.of().formatHex(Manifest.of(chain, s.clusterSize()));
            if (!actual.equals(s.manifestHash())) {
                problems.add("content does not match the manifest of version " + s.version());
            }
        }
        return new Verification(s.version(), List.copyOf(problems));
    }

    /** The result of {@link #verify()}. */
    public record Verification(long version, List<String> problems) {
        public boolean ok() {
            return problems.isEmpty();
        }
    }

    /** Makes {@code next} the replica's state, durably, and deletes what it no longer names. */
    private void commit(State next) throws IOException {
        synchronized (files) {
            Durable.replace(dir.resolve(STATE), JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(next));
            state = next;
            removeUnnamed(false);
        }
    }

    /**
     * Deletes files the state does not name. Work in progress (a squash, whose files end in
     * ".partial") survives unless {@code work} says no one can be working: right after opening.
     */
    private void removeUnnamed(boolean work) throws IOException {
        Set<String> keep = new HashSet<>(state.chain());
        keep.add(state.manifest());
        keep.add(STATE);
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir)) {
            for (Path f : files) {
                String name = f.getFileName().toString();
                boolean inProgress = name.contains(".partial");
                if (!keep.contains(name) && (work || !inProgress) && Files.isRegularFile(f)) {
                    Files.deleteIfExists(f);
                }
            }
        }
    }

    static String layerName(long version) {
        return String.format("%010d.qcow2", version);
    }

    static String manifestName(long version) {
        return String.format("manifest-%010d.bin", version);
    }

    @Override
    public String toString() {
        return "replica of " + Objects.requireNonNull(state).vm() + " at version " + state.version();
    }
}
