package io.understudy.agent.replication;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.understudy.agent.api.Json;
import io.understudy.agent.delta.DeltaHeader;
import io.understudy.agent.delta.DeltaWriter;
import io.understudy.agent.delta.Manifest;
import io.understudy.agent.delta.ManifestFile;
import io.understudy.agent.libvirt.LiveCapture;
import io.understudy.agent.qcow2.BackingChain;
import io.understudy.agent.replica.Durable;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * One VM's replication state on its primary: the version its last round produced, the libvirt
 * checkpoint that round left (the next round's starting point), the manifest of that version, the
 * deltas of the last {@link #JOURNAL} versions (a secondary that missed a few rounds catches up
 * from them), where each secondary stands, and the manifest of the version it started from (its
 * origin: a seed from there brings a former primary rolled back to it up to date with only what
 * changed since). Version 0 is the empty disk, or the base image the disk is an overlay of
 * ({@link #baseOn}). {@code state.json}, replaced atomically, commits a
 * round: a crash before it leaves the previous version and checkpoint to start from again.
 */
final class Primary {

    /** Versions whose deltas are kept for secondaries that fell behind; older ones need a seed. */
    static final int JOURNAL = 20;
    static final int CLUSTER = 64 * 1024;

    /** A secondary as this primary knows it; {@code version} -1: not known yet. */
    record Peer(long version, boolean needsSeed, String lastError) {
        static final Peer UNKNOWN = new Peer(-1, false, null);
    }

    record State(UUID vm, long version, Optional<String> checkpoint, long virtualSize, String manifest,
            String manifestHash, List<Long> journal, Optional<Long> seed, Map<String, Peer> peers, long lastRoundMillis,
            double lastRoundSeconds, boolean lastRoundFull, String lastError, long origin, long seedFrom,
            Optional<Base> base, Optional<String> rootDisk, Optional<String> stopped) {
        State {
            journal = List.copyOf(journal);
            peers = Map.copyOf(peers);
            // Absent from states written before these fields: no base, no disk known yet, not stopped.
            base = base == null ? Optional.empty() : base;
            rootDisk = rootDisk == null ? Optional.empty() : rootDisk;
            stopped = stopped == null ? Optional.empty() : stopped;
        }

        State withPeers(Map<String, Peer> p) {
            return new State(vm, version, checkpoint, virtualSize, manifest, manifestHash, journal, seed, p,
                    lastRoundMillis, lastRoundSeconds, lastRoundFull, lastError, origin, seedFrom, base, rootDisk, stopped);
        }

        State withError(String error) {
            return new State(vm, version, checkpoint, virtualSize, manifest, manifestHash, journal, seed, peers,
                    lastRoundMillis, lastRoundSeconds, lastRoundFull, error, origin, seedFrom, base, rootDisk, stopped);
        }

        /**
         * Stopped ({@code reason}) or restarted (empty). A restart forgets the checkpoint and the
         * root disk: the next round reads the whole disk, whichever file it now is.
         */
        State withStopped(Optional<String> reason) {
            Optional<String> cp = reason.isPresent() ? checkpoint : Optional.empty();
            Optional<String> disk = reason.isPresent() ? rootDisk : Optional.empty();
            return new State(vm, version, cp, virtualSize, manifest, manifestHash, journal, seed, peers,
                    lastRoundMillis, lastRoundSeconds, lastRoundFull, reason.orElse(lastError), origin, seedFrom, base,
                    disk, reason);
        }
    }

    /**
     * The base image version 0 holds when the VM's disk is an overlay of one in the image cache:
     * its file name there, and its manifest hash (a secondary's copy must hash the same).
     */
    record Base(String image, String manifestHash) {}

    /** What one round produced: the new version, its delta (and a seed when asked) and the capture's figures. */
    record Produced(long version, Path delta, Optional<Path> seed, RoundSink.Result result, LiveCapture.Round round) {}

    private static final String STATE = "state.json";
    private static final String BASE_MANIFEST = "manifest-base.bin";
    private static final ObjectMapper JSON = Json.mapper();

    private final Path dir;
    /** Replaced whole, never changed: read without waiting for a round (a hold's answer does). */
    private volatile State state;

    private Primary(Path dir, State state) {
        this.dir = dir;
        this.state = state;
    }

    /**
     * Opens the VM's primary state, or starts it: from the replica this node holds of the VM when
     * it has one (the VM moved here onto it, so replication goes on from that version), else at
     * version 0, an empty disk.
     */
    static Primary open(Path dir, UUID vm, Optional<ReplicaSnapshot> replica) throws IOException {
        Files.createDirectories(dir);
        Path stateFile = dir.resolve(STATE);
        if (Files.exists(stateFile)) {
            Primary p = new Primary(dir, JSON.readValue(stateFile.toFile(), State.class));
            p.removeUnnamed();
            return p;
        }
        long version = 0;
        long size = 0;
        String manifest = manifestName(0);
        byte[] hash;
        if (replica.isPresent()) {
            version = replica.get().version();
            size = replica.get().virtualSize();
            manifest = manifestName(version);
            Files.copy(replica.get().manifest(), dir.resolve(manifest), StandardCopyOption.REPLACE_EXISTING);
            Files.copy(replica.get().manifest(), dir.resolve(originName(version)), StandardCopyOption.REPLACE_EXISTING);
            hash = ManifestFile.summary(dir.resolve(manifest)).hash();
        } else {
            try (ManifestFile.Writer w = new ManifestFile.Writer(dir.resolve(manifest), CLUSTER, 0)) {
                hash = w.finish();
            }
        }
        Primary p = new Primary(dir, new State(vm, version, Optional.empty(), size, manifest,
                HexFormat.of().formatHex(hash), List.of(), Optional.empty(), Map.of(), 0, 0, false, null, version, 0,
                Optional.empty(), Optional.empty(), Optional.empty()));
        p.write(p.state);
        return p;
    }

    /**
     * Makes version 0 the base image the VM's disk is an overlay of instead of the empty disk, so
     * that the first delta carries only what the VM wrote above the image. Only before the first
     * round and when this primary did not start from a replica; otherwise nothing changes.
     */
    synchronized void baseOn(String image, Path file) throws IOException {
        State s = state;
        if (s.version() != 0 || s.origin() != 0 || s.base().isPresent()) {
            return;
        }
        Path temp = dir.resolve(BASE_MANIFEST + ".partial");
        Files.deleteIfExists(temp);
        long size;
        byte[] hash;
        try (BackingChain chain = BackingChain.open(file)) {
            size = chain.virtualSize();
            hash = ManifestFile.write(chain, CLUSTER, temp);
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(temp);
            throw e;
        }
        Files.move(temp, dir.resolve(BASE_MANIFEST), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        String hex = HexFormat.of().formatHex(hash);
        write(new State(s.vm(), 0, Optional.empty(), size, BASE_MANIFEST, hex, s.journal(), s.seed(), s.peers(),
                s.lastRoundMillis(), s.lastRoundSeconds(), s.lastRoundFull(), s.lastError(), 0, s.seedFrom(),
                Optional.of(new Base(image, hex)), s.rootDisk(), s.stopped()));
        removeUnnamed();
    }

    /** What the primary needs of a local replica to continue from it. */
    record ReplicaSnapshot(long version, long virtualSize, Path manifest) {}

    State state() {
        return state;
    }

    Path delta(long version) {
        return dir.resolve(deltaName(version));
    }

    /**
     * Runs one capture round and commits its version. With {@code seedFrom} (0: the empty disk, or
     * the version this primary started from) the round reads the whole disk and also writes a seed
     * from there, for secondaries the deltas kept cannot bring up. {@code source} is the disk's
     * file, committed with the version: later rounds must find the same one. {@code bitmaps} are
     * the names in that file's bitmap directory: the round removes those {@link #staleBitmaps}.
     */
    synchronized Produced round(LiveCapture capture, String disk, Path source, long virtualSize, Optional<Long> seedFrom,
            long capturedAtMillis, Collection<String> bitmaps) throws IOException {
        State s = state;
        boolean seed = seedFrom.isPresent();
        if (seed && seedFrom.get() != 0 && seedFrom.get() != s.origin()) {
            throw new IllegalArgumentException("a seed starts from the empty disk or from version " + s.origin()
                    + ", not " + seedFrom.get());
        }
        boolean fromOrigin = seed && seedFrom.get() != 0;
        long next = s.version() + 1;
        Path deltaTemp = dir.resolve(deltaName(next) + ".partial");
        Path seedTemp = dir.resolve(seedName(next) + ".partial");
        Path manifestTemp = dir.resolve(manifestName(next) + ".partial");
        Files.deleteIfExists(deltaTemp);
        Files.deleteIfExists(seedTemp);
        Files.deleteIfExists(manifestTemp);
        boolean full = seed || s.checkpoint().isEmpty();
        // From the empty disk, the first delta is a seed; from a base image, a delta like any other.
        boolean fromEmpty = s.version() == 0 && s.base().isEmpty();
        byte[] base = fromEmpty ? new Manifest(CLUSTER, virtualSize).finish() : HexFormat.of().parseHex(s.manifestHash());
        DeltaHeader deltaHeader = new DeltaHeader(CLUSTER, virtualSize, fromEmpty ? virtualSize : s.virtualSize(),
                fromEmpty, Optional.of(base), Optional.of(s.vm()), s.version(), next, capturedAtMillis);
        ManifestFile.Summary origin = fromOrigin ? ManifestFile.summary(dir.resolve(originName(s.origin()))) : null;
        DeltaHeader seedHeader = fromOrigin
                ? new DeltaHeader(CLUSTER, virtualSize, origin.virtualSize(), false, Optional.of(origin.hash()),
                        Optional.of(s.vm()), s.origin(), next, capturedAtMillis)
                : new DeltaHeader(CLUSTER, virtualSize, virtualSize, true,
                        Optional.of(new Manifest(CLUSTER, virtualSize).finish()), Optional.of(s.vm()), 0, next,
                        capturedAtMillis);
        try {
            RoundSink.Result result;
            LiveCapture.Round round;
            try (ManifestFile.Reader previous = new ManifestFile.Reader(dir.resolve(s.manifest()));
                 ManifestFile.Writer nextManifest = new ManifestFile.Writer(manifestTemp, CLUSTER, virtualSize);
                 OutputStream deltaOut = new BufferedOutputStream(Files.newOutputStream(deltaTemp), 1 << 20);
                 OutputStream seedOut = full && seed ? new BufferedOutputStream(Files.newOutputStream(seedTemp), 1 << 20)
                         : OutputStream.nullOutputStream();
                 ManifestFile.Reader seedBase = !seed ? null : fromOrigin
                         ? new ManifestFile.Reader(dir.resolve(originName(s.origin())))
                         : ManifestFile.empty(dir.resolve("manifest-empty.bin.partial"), CLUSTER, virtualSize)) {
                RoundSink sink = new RoundSink(previous, nextManifest, new DeltaWriter(deltaOut, deltaHeader),
                        seed ? new DeltaWriter(seedOut, seedHeader) : null, seedBase);
                round = capture.run(new LiveCapture.Request(s.vm(), full ? Optional.empty() : s.checkpoint(),
                        checkpointName(s.vm(), next), CLUSTER, Map.of(disk, sink),
                        staleBitmaps(s.vm(), bitmaps, s.checkpoint())));
                result = sink.finish();
            }
            fsync(deltaTemp);
            Files.move(deltaTemp, dir.resolve(deltaName(next)), StandardCopyOption.ATOMIC_MOVE);
            Optional<Long> seedVersion = Optional.empty();
            if (seed) {
                fsync(seedTemp);
                Files.move(seedTemp, dir.resolve(seedName(next)), StandardCopyOption.ATOMIC_MOVE);
                seedVersion = Optional.of(next);
            } else if (s.seed().isPresent()) {
                seedVersion = s.seed();
            }
            Files.move(manifestTemp, dir.resolve(manifestName(next)), StandardCopyOption.ATOMIC_MOVE);
            List<Long> journal = new ArrayList<>(s.journal());
            journal.add(next);
            while (journal.size() > JOURNAL) {
                journal.remove(0);
            }
            write(new State(s.vm(), next, Optional.of(round.checkpoint()), virtualSize, manifestName(next),
                    HexFormat.of().formatHex(result.manifest()), journal, seedVersion, s.peers(), capturedAtMillis,
                    round.total().toNanos() / 1e9, round.full(), null, s.origin(),
                    seed ? seedFrom.get() : s.seedFrom(), s.base(), Optional.of(source.toString()), Optional.empty()));
            removeUnnamed();
            return new Produced(next, delta(next), seedVersion.map(v -> dir.resolve(seedName(v))), result, round);
        } finally {
            Files.deleteIfExists(deltaTemp);
            Files.deleteIfExists(seedTemp);
            Files.deleteIfExists(manifestTemp);
        }
    }

    /** A seed a round made: its file, and the version it starts from (0: the empty disk). */
    record Seed(Path file, long from) {}

    /**
     * The seed {@code s} names. From a state already read, not under the lock: the round that
     * holds it waits for the senders that ask.
     */
    Optional<Seed> seed(State s) {
        return s.seed().map(v -> new Seed(dir.resolve(seedName(v)), s.seedFrom()));
    }

    synchronized void updatePeers(Map<String, Peer> peers) throws IOException {
        write(state.withPeers(peers));
    }

    /** Once every secondary is past it, the seed (as large as the disk's data) is deleted. */
    synchronized void dropSeed() throws IOException {
        if (state.seed().isPresent()) {
            write(new State(state.vm(), state.version(), state.checkpoint(), state.virtualSize(), state.manifest(),
                    state.manifestHash(), state.journal(), Optional.empty(), state.peers(), state.lastRoundMillis(),
                    state.lastRoundSeconds(), state.lastRoundFull(), state.lastError(), state.origin(), 0,
                    state.base(), state.rootDisk(), state.stopped()));
            removeUnnamed();
        }
    }

    synchronized void recordError(String error) throws IOException {
        write(state.withError(error));
    }

    /** Ends the VM's rounds for {@code reason} until {@link #restart()}; the versions made stay. */
    synchronized void stop(String reason) throws IOException {
        write(state.withStopped(Optional.of(reason)));
    }

    /** Lets rounds run again after {@link #stop}: the next is full. Returns the checkpoint it forgot. */
    synchronized Optional<String> restart() throws IOException {
        Optional<String> forgotten = state.checkpoint();
        write(state.withStopped(Optional.empty()));
        return forgotten;
    }

    /** Whether a VM's primary state exists in {@code dir}, without creating it. */
    static boolean exists(Path dir) {
        return Files.exists(dir.resolve(STATE));
    }

    private void write(State next) throws IOException {
        Durable.replace(dir.resolve(STATE), JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(next));
        state = next;
    }

    /** Deletes deltas fallen out of the journal, old manifests and seeds, and a crashed round's files. */
    private void removeUnnamed() throws IOException {
        Set<String> keep = new HashSet<>();
        keep.add(STATE);
        keep.add(state.manifest());
        for (long v : state.journal()) {
            keep.add(deltaName(v));
        }
        state.seed().ifPresent(v -> keep.add(seedName(v)));
        if (state.origin() > 0) {
            keep.add(originName(state.origin()));
        }
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir)) {
            for (Path f : files) {
                if (!keep.contains(f.getFileName().toString())) {
                    Files.deleteIfExists(f);
                }
            }
        }
    }

    private static void fsync(Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
            ch.force(true);
        }
    }

    static String checkpointName(UUID vm, long version) {
        return checkpointPrefix(vm) + version;
    }

    private static String checkpointPrefix(UUID vm) {
        return LiveCapture.PREFIX + vm.toString().substring(0, 8) + "-";
    }

    /**
     * The bitmaps among {@code inImage} (the names the VM's disk holds) that are this VM's
     * checkpoints' ({@link #checkpointName}) but not {@code keep}'s, the checkpoint the next round
     * starts from: left by this VM's rounds on another host (Nova's cold migration and resize copy
     * the file with them) or by a round whose checkpoint this primary no longer names. Any other
     * name, another VM's checkpoints' included, is not ours to remove.
     */
    static Set<String> staleBitmaps(UUID vm, Collection<String> inImage, Optional<String> keep) {
        Pattern ours = Pattern.compile(Pattern.quote(checkpointPrefix(vm)) + "[0-9]+");
        Set<String> stale = new TreeSet<>();
        for (String name : inImage) {
            if (ours.matcher(name).matches() && !keep.equals(Optional.of(name))) {
                stale.add(name);
            }
        }
        return stale;
    }

    static String deltaName(long version) {
        return String.format("delta-%010d", version);
    }

    static String seedName(long version) {
        return String.format("seed-%010d", version);
    }

    /** The manifest of the version this primary started from, kept for seeds from there. */
    static String originName(long version) {
        return String.format("origin-%010d.bin", version);
    }

    static String manifestName(long version) {
        return String.format("manifest-%010d.bin", version);
    }

    /** Peers as a mutable copy, for the shipper to update. */
    Map<String, Peer> peersCopy() {
        return new HashMap<>(state().peers());
    }
}
