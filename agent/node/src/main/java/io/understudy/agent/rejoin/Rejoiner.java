package io.understudy.agent.rejoin;

import io.understudy.agent.api.AgentClient;
import io.understudy.agent.api.AgentException;
import io.understudy.agent.api.Peer;
import io.understudy.agent.api.Preserved;
import io.understudy.agent.api.Protection;
import io.understudy.agent.api.ReplicaInfo;
import io.understudy.agent.api.Role;
import io.understudy.agent.delta.BadDeltaException;
import io.understudy.agent.delta.DeltaReader;
import io.understudy.agent.delta.DeltaStats;
import io.understudy.agent.delta.Divergence;
import io.understudy.agent.delta.ManifestFile;
import io.understudy.agent.qcow2.BadImageException;
import io.understudy.agent.replica.Replica;
import io.understudy.agent.replica.ReplicaStore;
import java.io.BufferedInputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Clock;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes a preserved disk the replica of its VM once this node is assigned as the VM's secondary.
 * The disk may hold writes made after the last version the new primary received (diverged), and
 * the new primary's versions past the one it started from belong to another history: so the disk
 * is rolled back to that starting version, which the new primary still holds as its replica, and
 * the primary's own deltas take it on from there. Which clusters diverged is found by comparing
 * the disk's per-cluster hashes with that version's manifest (after a crash QEMU's bitmaps cannot
 * be trusted); only those clusters are fetched. The replica becomes visible only once its content
 * hashes to that version's manifest. Until then the node answers 503 for the VM's replica, so the
 * primary waits instead of sending a seed.
 */
public final class Rejoiner implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Rejoiner.class);
    /** The unit every primary's manifests use (the replication package's). */
    static final int CLUSTER = 64 * 1024;
    private static final Duration RETRY = Duration.ofSeconds(10);

    private final Preservation preservation;
    private final ReplicaStore replicas;
    private final Path work;
    private final Function<URI, AgentClient> clients;
    private final Clock clock;
    private final Consumer<UUID> primaryDropped;
    private final Map<UUID, Peer> wanted = new ConcurrentHashMap<>();
    private final ScheduledExecutorService worker = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "understudy-rejoin");
        t.setDaemon(true);
        return t;
    });

    /**
     * @param work           where replicas are built, on the replica store's file system
     * @param primaryDropped returns once this node's primary state of a VM is gone: its last round as
     *                       primary has ended, and the new primary holds what that round sent
     */
    public Rejoiner(Preservation preservation, ReplicaStore replicas, Path work, Function<URI, AgentClient> clients,
            Clock clock, Consumer<UUID> primaryDropped) {
        this.preservation = preservation;
        this.replicas = replicas;
        this.work = work;
        this.clients = clients;
        this.clock = clock;
        this.primaryDropped = primaryDropped;
    }

    /** After an assignment changed (null: removed): a secondary with a preserved disk rejoins from it. */
    public void assign(UUID vm, Protection protection) {
        if (protection == null || protection.role() != Role.SECONDARY || !preservation.pending(vm)) {
            wanted.remove(vm);
            return;
        }
        if (wanted.put(vm, protection.peers().get(0)) == null) {
            worker.execute(() -> attempt(vm));
        }
    }

    private void attempt(UUID vm) {
        Peer primary = wanted.get(vm);
        if (primary == null || !preservation.pending(vm)) {
            wanted.remove(vm);
            return;
        }
        try {
            // A round of ours still sending would move the new primary's replica under the rejoin.
            primaryDropped.accept(vm);
            rejoin(vm, primary);
            wanted.remove(vm);
        } catch (AgentException e) {
            if (e.status() / 100 == 4) {
                giveUp(vm, primary, e);
            } else {
                retry(vm, primary, e);
            }
        } catch (BadDeltaException | BadImageException e) {
            giveUp(vm, primary, e);
        } catch (IOException | RuntimeException e) {
            retry(vm, primary, e);
        } finally {
            try {
                ReplicaStore.deleteDir(work.resolve(vm.toString())); // a replica half built; none once adopted
            } catch (IOException e) {
                LOG.warn("vm {}: could not clean {}: {}", vm, work, e.getMessage());
            }
        }
    }

    private void giveUp(UUID vm, Peer primary, Exception e) {
        wanted.remove(vm);
        LOG.warn("vm {}: rejoin as secondary of {} given up, it will be seeded instead: {}", vm, primary.host(),
                e.getMessage());
        try {
            preservation.done(vm, null, e.getMessage());
        } catch (IOException failed) {
            LOG.warn("vm {}: could not record the failed rejoin: {}", vm, failed.getMessage());
        }
    }

    private void retry(UUID vm, Peer primary, Exception e) {
        LOG.warn("vm {}: rejoin as secondary of {} failed, retried in {} s: {}", vm, primary.host(),
                RETRY.toSeconds(), e.getMessage());
        try {
            preservation.attempt(vm, Preserved.State.PRESERVED, e.getMessage());
        } catch (IOException failed) {
            LOG.warn("vm {}: could not record the failed rejoin: {}", vm, failed.getMessage());
        }
        worker.schedule(() -> attempt(vm), RETRY.toMillis(), TimeUnit.MILLISECONDS);
    }

    private void rejoin(UUID vm, Peer primary) throws IOException {
        long started = System.nanoTime();
        preservation.attempt(vm, Preserved.State.REJOINING, null);
        AgentClient client = clients.apply(primary.url());
        // The new primary's replica is the version it started from: the last one both histories share.
        ReplicaInfo start = client.replica(vm);
        if (start.version() < 1) {
            throw new BadDeltaException(primary.host() + " holds no version of " + vm + " to roll back to");
        }
        Files.createDirectories(work);
        Path built = work.resolve(vm.toString());
        ReplicaStore.deleteDir(built);
        Replica replica = Replica.adopt(built, vm, preservation.disk(vm), start.version(), CLUSTER,
                start.capturedAt() == null ? 0 : start.capturedAt().toEpochMilli(), primary.host(), clock);
        long copied = System.nanoTime();
        long compared = copied;
        long diverged = 0;
        long payload = 0;
        long wire = 0;
        if (!replica.state().manifestHash().equals(start.manifest())) {
            byte[] expected = HexFormat.of().parseHex(start.manifest());
            Path theirs = work.resolve(vm + ".manifest");
            long[] runs;
            try {
                try (InputStream in = client.replicaManifest(vm, start.version())) {
                    wire += Files.copy(in, theirs, StandardCopyOption.REPLACE_EXISTING);
                }
                Path ours = replica.dir().resolve(replica.state().manifest());
                try (ManifestFile.Reader mine = new ManifestFile.Reader(ours);
                     ManifestFile.Reader other = new ManifestFile.Reader(theirs)) {
                    if (!HexFormat.of().formatHex(other.summary().hash()).equals(start.manifest())) {
                        throw new BadDeltaException(primary.host() + " sent a manifest of " + vm
                                + " that is not the one of version " + start.version());
                    }
                    runs = Divergence.runs(mine, other);
                }
            } finally {
                Files.deleteIfExists(theirs);
            }
            compared = System.nanoTime();
            byte[] request = Divergence.encode(runs);
            diverged = Divergence.clusters(runs);
            try (Counting in = new Counting(client.replicaClusters(vm, start.version(), request))) {
                DeltaStats stats = replica.rollBack(DeltaReader.open(new BufferedInputStream(in, 1 << 20)), expected);
                payload = stats.payloadBytes();
                wire += request.length + in.count;
            }
        }
        long repaired = System.nanoTime();
        replicas.adopt(vm, built);
        long ended = System.nanoTime();
        double seconds = (ended - started) / 1e9;
        preservation.done(vm, new Preserved.Rejoined(primary.host(), start.version(), diverged, payload, wire, seconds),
                null);
        LOG.info("vm {}: rejoined as secondary of {} at version {}: {} clusters had diverged, {} bytes of their data "
                + "fetched, {} bytes on the wire, {} s (copying the preserved disk {} s, comparing manifests {} s, "
                + "repairing {} s, taking it in {} s)", vm, primary.host(), start.version(), diverged, payload, wire,
                String.format("%.3f", seconds), secondsBetween(started, copied), secondsBetween(copied, compared),
                secondsBetween(compared, repaired), secondsBetween(repaired, ended));
    }

    private static String secondsBetween(long fromNanos, long toNanos) {
        return String.format("%.3f", (toNanos - fromNanos) / 1e9);
    }

    /** Counts the bytes of the repair stream as they arrive. */
    private static final class Counting extends FilterInputStream {
        long count;

        Counting(InputStream in) {
            super(in);
        }

        @Override
        public int read() throws IOException {
            int b = super.read();
            count += b < 0 ? 0 : 1;
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = super.read(b, off, len);
            count += Math.max(n, 0);
            return n;
        }
    }

    @Override
    public void close() {
        worker.shutdownNow();
    }
}
