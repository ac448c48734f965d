package io.understudy.agent.replication;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.BaseUnits;
import io.understudy.agent.api.AgentClient;
import io.understudy.agent.api.AgentException;
import io.understudy.agent.api.BaseImage;
import io.understudy.agent.api.DeltaReceipt;
import io.understudy.agent.api.Hold;
import io.understudy.agent.api.PrimaryStatus;
import io.understudy.agent.api.Protection;
import io.understudy.agent.api.Role;
import io.understudy.agent.libvirt.DomainDescription;
import io.understudy.agent.libvirt.Hypervisor;
import io.understudy.agent.libvirt.LiveCapture;
import io.understudy.agent.libvirt.RoundAbortedException;
import io.understudy.agent.qcow2.BadImageException;
import io.understudy.agent.qcow2.Qcow2Image;
import io.understudy.agent.replica.BootFiles;
import io.understudy.agent.replica.Replica;
import io.understudy.agent.replica.ReplicaStore;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.http.HttpRequest;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the replication rounds of every VM this node is primary for, on each VM's interval and on
 * demand (DESIGN.md §2: rounds belong to the agents, so replication goes on while the controller
 * is away). A round captures what the running VM wrote, commits a new version, and streams it to
 * every secondary at once. A secondary that was down or missed rounds catches up from the deltas
 * the primary keeps; one too far behind, or whose content no longer matches, gets a seed made by
 * the next round, which then reads the whole disk.
 */
public final class Replicator implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Replicator.class);
    /** How long after a change in Nova's snapshots folder no round begins: Nova's block copy starts within it. */
    static final Duration SNAPSHOT_QUIET = Duration.ofSeconds(10);
    /**
     * The longest a hold waits for the round in flight to end once its backup is aborted: the
     * round then only tears its job down.
     */
    private static final Duration BAR_WAIT = Duration.ofSeconds(30);

    private final String host;
    private final Path root;
    private final Path instancesPath;
    private final Path baseImages;
    private final Path snapshots;
    private final Hypervisor hypervisor;
    private final LiveCapture capture;
    private final ReplicaStore replicas;
    private final Function<java.net.URI, AgentClient> clients;
    private final Clock clock;
    private final MeterRegistry metrics;
    private final ScheduledExecutorService timer;
    private final ExecutorService senders;
    private final Map<UUID, Primary> primaries = new ConcurrentHashMap<>();
    private final Map<UUID, ScheduledFuture<?>> schedules = new ConcurrentHashMap<>();
    private final Map<UUID, Protection> protections = new ConcurrentHashMap<>();
    /** VMs no longer primary here whose state is being dropped (see assign). */
    private final Map<UUID, CompletableFuture<Void>> forgetting = new ConcurrentHashMap<>();
    /** "VM HOST KIND" to the size and time of the boot file that secondary was sent last (see shipBootFiles). */
    private final Map<String, String> bootFilesSent = new ConcurrentHashMap<>();
    /** Each VM's disks beyond the first, which are not replicated, as its last round found them. */
    private final Map<UUID, List<String>> unreplicated = new ConcurrentHashMap<>();
    /** The VMs whose last round was put off for a Nova snapshot: said once, and once when rounds go on. */
    private final Set<UUID> putOff = ConcurrentHashMap.newKeySet();
    /** Until when each held VM's rounds wait (a live migration under way), by VM. */
    private final Map<UUID, Instant> holds = new ConcurrentHashMap<>();

    /**
     * @param host     this node's Nova host name, for the operator's lines
     * @param instancesPath Nova's instances path on this node: only a domain whose disk lies there is
     *                   this node's to capture
     * @param baseImages the image cache (Nova's {@code _base}): a disk that is an overlay of an image
     *                   there is replicated as what it wrote above the image to secondaries that hold it
     * @param snapshots Nova's snapshots folder: no round begins while Nova begins a live snapshot there
     */
    public Replicator(String host, Path root, Path instancesPath, Path baseImages, Path snapshots, Hypervisor hypervisor,
            LiveCapture capture,
            ReplicaStore replicas, Function<java.net.URI, AgentClient> clients, Clock clock, MeterRegistry metrics)
            throws IOException {
        this.host = host;
        this.root = Files.createDirectories(root);
        this.instancesPath = instancesPath.toAbsolutePath().normalize();
        this.baseImages = baseImages.toAbsolutePath().normalize();
        this.snapshots = snapshots.toAbsolutePath().normalize();
        this.hypervisor = hypervisor;
        this.capture = capture;
        this.replicas = replicas;
        this.clients = clients;
        this.clock = clock;
        this.metrics = metrics;
        this.timer = Executors.newScheduledThreadPool(2, r -> daemon(r, "understudy-rounds"));
        this.senders = Executors.newCachedThreadPool(r -> daemon(r, "understudy-send"));
    }

    private static Thread daemon(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }

    /** Starts, changes or stops the rounds of a VM after its assignment changed (null: removed). */
    public void assign(UUID vm, Protection protection) {
        // A new part ends a hold (after a live migration the roles flip: a hold is for one move); the
        // same part delivered again does not.
        if (!Objects.equals(protections.get(vm), protection) && holds.remove(vm) != null) {
            capture.unbar(vm);
        }
        // A secondary dropped and assigned again dropped the boot files it kept with its replica.
        bootFilesSent.keySet().removeIf(key -> key.startsWith(vm + " "));
        ScheduledFuture<?> old = schedules.remove(vm);
        if (old != null) {
            old.cancel(false);
        }
        if (protection == null || protection.role() != Role.PRIMARY) {
            protections.remove(vm);
            // A round in flight holds the VM's lock for as long as its capture and sends take (2.4 s
            // seen on a loaded host, past the controller's timeout): the assignment is answered at
            // once, and the state goes once that round has ended.
            CompletableFuture<Void> f = CompletableFuture.runAsync(() -> forget(vm), senders);
            forgetting.put(vm, f);
            f.whenComplete((done, e) -> forgetting.remove(vm, f));
            return;
        }
        awaitDropped(vm);
        protections.put(vm, protection);
        long millis = protection.interval().toMillis();
        schedules.put(vm, timer.scheduleWithFixedDelay(() -> scheduledRound(vm), millis, millis, TimeUnit.MILLISECONDS));
    }

    /**
     * Returns once the VM's primary state here, if any, is gone: its last round has ended and sent
     * what it made. A VM primary here again waits for it, so does a rejoin, which must see the new
     * primary's replica as that last round left it.
     */
    public void awaitDropped(UUID vm) {
        CompletableFuture<Void> f = forgetting.get(vm);
        if (f != null) {
            try {
                f.join();
            } catch (java.util.concurrent.CompletionException | java.util.concurrent.CancellationException e) {
                LOG.warn("vm {}: dropping its earlier primary state failed: {}", vm, e.getMessage());
            }
        }
    }

    /**
     * Drops the VM's primary state once this node no longer runs it: should the VM come back here,
     * replication goes on from the replica this node holds by then, not from the versions of a
     * history that went on elsewhere.
     */
    private void forget(UUID vm) {
        Primary p = primaries.remove(vm);
        Path dir = root.resolve(vm.toString());
        if (!Files.isDirectory(dir)) {
            return;
        }
        try {
            synchronized (p != null ? p : this) {
                ReplicaStore.deleteDir(dir);
            }
            LOG.info("vm {}: this node no longer runs it; its primary state is dropped", vm);
        } catch (IOException e) {
            LOG.warn("vm {}: could not drop its primary state in {}: {}", vm, dir, e.getMessage());
        }
    }

    private void scheduledRound(UUID vm) {
        try {
            round(vm, false);
        } catch (RoundsHeldException e) {
            // Said once, when the hold began or the first round was put off.
        } catch (IOException | RuntimeException e) {
            // Logged in round(); the next round retries from the last committed version.
        }
    }

    /**
     * Holds the VM's rounds for {@code hold.lease()}, or until released or the VM is assigned anew:
     * Nova is about to live-migrate it, and libvirt's migration must not meet a round's backup job
     * (Nova's migration monitor fails the migration on it). Returns once no backup of ours runs:
     * after a last round when {@code hold.finalRound()}; else at once, the backup of a round in
     * flight aborted (that round sends nothing; waiting for it would cost the move up to a round).
     */
    public PrimaryStatus hold(UUID vm, Hold hold) throws IOException {
        if (!protections.containsKey(vm)) {
            throw new IllegalStateException("this node is not the primary of " + vm);
        }
        Instant until = clock.instant().plus(hold.lease());
        holds.put(vm, until);
        LOG.info("vm {}: rounds held until {}{}: a live migration is coming", vm, until,
                hold.finalRound() ? ", after a last round" : "");
        PrimaryStatus last = hold.finalRound() ? round(vm, true) : null;
        // Rounds look at the hold when they start, and the capture is barred for one that started before.
        capture.bar(vm, BAR_WAIT);
        return last != null ? last : status(vm, primary(vm));
    }

    /** Ends the VM's hold, if any: its rounds go on at the next interval. */
    public boolean release(UUID vm) {
        boolean held = holds.remove(vm) != null;
        capture.unbar(vm);
        if (held) {
            LOG.info("vm {}: hold released; rounds go on", vm);
        }
        return held;
    }

    /**
     * Why no round may begin now, when Nova's snapshots folder changed in the last
     * {@link #SNAPSHOT_QUIET}: Nova makes a folder there as it begins a live snapshot of a VM on this
     * host, and about a second later starts a block copy of the VM's disk that libvirt refuses while
     * a round's backup holds it — the snapshot then fails. Which VM Nova snapshots is not written
     * there, so every VM's round waits; an unreadable folder stops nothing.
     */
    private Optional<String> novaSnapshotBegun() {
        Instant since = clock.instant().minus(SNAPSHOT_QUIET);
        try (Stream<Path> entries = Files.list(snapshots)) {
            return entries.filter(p -> changedSince(p, since)).findFirst()
                    .map(p -> "Nova began a snapshot on this host (" + p + " changed in the last "
                            + SNAPSHOT_QUIET.toSeconds() + " s)");
        } catch (IOException | UncheckedIOException e) {
            return Optional.empty();
        }
    }

    private static boolean changedSince(Path p, Instant since) {
        try {
            return Files.getLastModifiedTime(p, LinkOption.NOFOLLOW_LINKS).toInstant().isAfter(since);
        } catch (IOException e) {
            return false;
        }
    }

    /** Whether the VM's rounds are held now; a hold whose lease ran out ends here. */
    private Optional<Instant> heldUntil(UUID vm) {
        Instant until = holds.get(vm);
        if (until == null) {
            return Optional.empty();
        }
        if (clock.instant().isBefore(until)) {
            return Optional.of(until);
        }
        if (holds.remove(vm, until)) {
            capture.unbar(vm);
            LOG.info("vm {}: hold ended: its lease ran out at {}; rounds go on", vm, until);
        }
        return Optional.empty();
    }

    /**
     * One round now: capture, commit, ship. Returns the VM's state afterwards.
     *
     * @throws ProtectionStoppedException when the VM's protection stopped here, by this round (its
     *         domain's layout is one the agent cannot follow) or before
     */
    public PrimaryStatus round(UUID vm) throws IOException {
        return round(vm, false);
    }

    private PrimaryStatus round(UUID vm, boolean evenIfHeld) throws IOException {
        Protection protection = protections.get(vm);
        if (protection == null) {
            throw new IllegalStateException("this node is not the primary of " + vm);
        }
        Primary primary = primary(vm);
        synchronized (primary) {
            Optional<String> stopped = primary.state().stopped();
            if (stopped.isPresent()) {
                throw new ProtectionStoppedException(vm, host, stopped.get());
            }
            Optional<Instant> held = heldUntil(vm);
            if (held.isPresent() && !evenIfHeld) {
                throw new RoundsHeldException(vm, held.get());
            }
            Optional<String> snapshot = novaSnapshotBegun();
            if (snapshot.isPresent()) {
                if (putOff.add(vm)) {
                    LOG.info("vm {}: round put off: {}", vm, snapshot.get());
                }
                throw new RoundsHeldException(vm, snapshot.get());
            }
            if (putOff.remove(vm)) {
                LOG.info("vm {}: rounds go on: no Nova snapshot begins on this host", vm);
            }
            try {
                DomainDescription domain = hypervisor.describe(vm)
                        .orElseThrow(() -> new IOException("no domain " + vm + " on this node"));
                DomainDescription.Disk disk = Layout.rootDisk(vm, domain, instancesPath);
                List<DomainDescription.Disk> disks = domain.disks().stream()
                        .filter(DomainDescription.Disk::checkpointable).toList();
                Path source = disk.source().orElseThrow();
                if (Files.exists(source) && !under(source, instancesPath)) {
                    // Several compute hosts on one libvirtd (the demo, a devstack with several
                    // nova-computes) see each other's domains: an agent that still believes itself
                    // primary after the VM moved must not capture the new host's domain. Not a
                    // reason to stop: the controller assigns this node its new part.
                    throw new IOException("its disk " + source + " is not in this node's instances path "
                            + instancesPath + ": the domain is not this node's; nothing captured");
                }
                Layout.requireProtectedDisk(domain, disk, primary.state().rootDisk().map(Path::of));
                List<String> others = disks.stream().filter(d -> !d.equals(disk))
                        .map(d -> d.target() + " (" + d.source().orElseThrow() + ")").toList();
                List<String> before = others.isEmpty() ? unreplicated.remove(vm) : unreplicated.put(vm, others);
                if (!others.isEmpty() && !others.equals(before)) {
                    LOG.warn("vm {}: only its root disk {} ({}) is replicated; {} not: a failover loses their data", vm,
                            disk.target(), source, others);
                }
                long size;
                Optional<Path> backing;
                List<String> bitmaps;
                try (Qcow2Image top = Qcow2Image.open(source)) {
                    size = top.virtualSize();
                    backing = top.backingFile().map(b -> source.resolveSibling(b).toAbsolutePath().normalize());
                    bitmaps = bitmapNames(vm, top);
                } catch (BadImageException e) {
                    // QEMU runs it, but with what the agent refuses to read (encryption, an external
                    // data file, a corrupt mark): a replica of it could not be checked or staged.
                    throw new CannotFollowException("its root disk is a qcow2 image the agent does not capture: "
                            + e.getMessage());
                }
                Optional<Path> image = backing.filter(this::inImageCache);
                if (image.isPresent() && primary.state().version() == 0 && primary.state().base().isEmpty()) {
                    try {
                        primary.baseOn(image.get().getFileName().toString(), image.get());
                    } catch (BadImageException e) {
                        throw new CannotFollowException("its root disk's base image is one the agent does not read: "
                                + e.getMessage());
                    }
                    LOG.info("vm {}: its disk {} is an overlay of base image {}; secondaries holding that image get "
                            + "only what the VM wrote above it", vm, source, image.get());
                }
                Optional<Long> seed = seedFrom(primary.state());
                long capturedAt = clock.millis();
                Primary.Produced produced = primary.round(capture, disk.target(), source, size, seed, capturedAt,
                        bitmaps);
                if (!produced.round().dropped().isEmpty()) {
                    LOG.info("vm {}: removed bitmaps of its checkpoints that none it keeps needs (QEMU marked every write "
                            + "in each): {}", vm, produced.round().dropped());
                }
                LOG.info("vm {}: round {} {} in {} s: {} new clusters, {} zero, {} bytes{}", vm, produced.version(),
                        produced.round().full() ? "full (" + (seed.isPresent() ? "a seed is owed"
                                : produced.round().fullBecause().get()) + ")" : "incremental",
                        String.format("%.3f", produced.round().total().toNanos() / 1e9),
                        produced.result().stats().newClusters(), produced.result().stats().zeroClusters(),
                        produced.result().stats().deltaBytes(),
                        seed.map(from -> ", with a seed from version " + from).orElse(""));
                metrics.counter("understudy.rounds", "result", "ok", "kind", produced.round().full() ? "full" : "incremental")
                        .increment();
                metrics.timer("understudy.round.capture").record(produced.round().total());
                Counter.builder("understudy.delta.made").baseUnit(BaseUnits.BYTES)
                        .description("bytes of the deltas this node's rounds made").register(metrics)
                        .increment(produced.result().stats().deltaBytes());
                ship(primary, protection);
            } catch (CannotFollowException e) {
                throw stop(vm, primary, e.getMessage());
            } catch (RoundAbortedException e) {
                LOG.info("vm {}: round aborted, nothing sent: its rounds are held for a live migration", vm);
                throw new RoundsHeldException(vm, "its round was aborted by a hold");
            } catch (IOException | RuntimeException e) {
                metrics.counter("understudy.rounds", "result", "failed", "kind", "-").increment();
                LOG.warn("vm {}: round failed: {}", vm, e.getMessage());
                primary.recordError(String.valueOf(e.getMessage()));
                throw e;
            }
            return status(vm, primary);
        }
    }

    /**
     * Ends the VM's rounds until it is protected again: retrying would fail the same way, and a
     * guess would put another disk's content into its replicas. Nothing was captured or sent, so
     * the secondaries keep the last good version; the operator gets one line.
     */
    private ProtectionStoppedException stop(UUID vm, Primary primary, String reason) throws IOException {
        primary.stop(reason);
        metrics.counter("understudy.rounds", "result", "stopped", "kind", "-").increment();
        Primary.State s = primary.state();
        LOG.error("vm {} on host {}: protection stopped: {}; its replicas on {} stay at version {}; protect it again "
                + "to restart it with a full round", vm, host, reason,
                s.peers().isEmpty() ? "the secondaries" : new TreeSet<>(s.peers().keySet()), s.version());
        return new ProtectionStoppedException(vm, host, reason);
    }

    /**
     * A protect call for a VM this node is primary of: a protection that had stopped runs again,
     * from a full round. The bitmaps of the checkpoint it forgets are removed where the domain
     * still has them, so QEMU stops keeping them; a domain that cannot be asked now keeps them,
     * harmlessly (a round never starts from a checkpoint its state does not name).
     */
    public void restartIfStopped(UUID vm) throws IOException {
        if (!primaries.containsKey(vm) && !Primary.exists(root.resolve(vm.toString()))) {
            return;
        }
        Primary primary = primary(vm);
        synchronized (primary) {
            if (primary.state().stopped().isEmpty()) {
                return;
            }
            Optional<String> forgotten = primary.restart();
            try {
                capture.forget(vm, forgotten);
            } catch (IOException | RuntimeException e) {
                LOG.debug("vm {}: bitmaps of checkpoint {} not removed: {}", vm, forgotten, e.getMessage());
            }
            LOG.info("vm {} on host {}: protection restarted by a protect call; the next round reads the whole disk", vm,
                    host);
        }
    }

    /** Brings every secondary to the newest version, concurrently. */
    private void ship(Primary primary, Protection protection) throws IOException {
        Primary.State s = primary.state();
        Map<String, Primary.Peer> peers = new ConcurrentHashMap<>(primary.peersCopy());
        peers.keySet().retainAll(protection.peers().stream().map(io.understudy.agent.api.Peer::host).toList());
        List<Future<?>> sends = new ArrayList<>();
        for (io.understudy.agent.api.Peer peer : protection.peers()) {
            sends.add(senders.submit(() -> {
                Primary.Peer before = peers.getOrDefault(peer.host(), Primary.Peer.UNKNOWN);
                Primary.Peer after = bringUp(primary, s, peer, before);
                peers.put(peer.host(), after);
                return null;
            }));
        }
        for (Future<?> f : sends) {
            try {
                f.get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while sending", e);
            } catch (java.util.concurrent.ExecutionException e) {
                LOG.warn("vm {}: sending failed: {}", s.vm(), e.getCause().getMessage());
            }
        }
        primary.updatePeers(peers);
        if (peers.values().stream().noneMatch(Primary.Peer::needsSeed)) {
            primary.dropSeed();
        }
    }

    private Primary.Peer bringUp(Primary primary, Primary.State s, io.understudy.agent.api.Peer peer,
            Primary.Peer known) {
        AgentClient client = clients.apply(peer.url());
        try {
            long held = known.version();
            if (held < 0 || known.lastError() != null || known.needsSeed()) {
                held = heldBy(client, s.vm());
            }
            // A seed is owed when the deltas kept cannot lead on from what it holds now, or when it
            // refused one at the version it still holds. One that was behind and caught up another
            // way (a former primary rolled back to where this primary started) needs none.
            boolean refused = known.needsSeed() && known.lastError() != null && held == known.version();
            if (held == 0 && !known.needsSeed() && s.base().isPresent() && canCatchUp(s, 0)) {
                Optional<String> lacking = startFromBase(client, s, peer);
                if (lacking.isPresent()) {
                    return new Primary.Peer(0, true, lacking.get());
                }
            }
            if (refused || !canCatchUp(s, held)) {
                // One at this primary's starting version waits for a seed from there (see seedFrom).
                long from = !refused && s.origin() > 0 && held == s.origin() ? s.origin() : 0;
                Optional<Primary.Seed> seed = primary.seed(s).filter(d -> d.from() == from);
                if (seed.isEmpty()) {
                    LOG.info("vm {}: secondary {} at version {} needs a seed; the next round makes one", s.vm(),
                            peer.host(), held);
                    return new Primary.Peer(held, true, null);
                }
                DeltaReceipt r = client.sendDelta(s.vm(), seed.get().file());
                held = r.version();
                LOG.info("vm {}: secondary {} seeded from version {} to version {} ({} bytes of data)", s.vm(),
                        peer.host(), seed.get().from(), held, r.payloadBytes());
                if (!canCatchUp(s, held)) {
                    return new Primary.Peer(held, true, null);
                }
            }
            for (long v = held + 1; v <= s.version(); v++) {
                DeltaReceipt r = client.sendDelta(s.vm(), primary.delta(v));
                held = r.version();
            }
            shipBootFiles(client, s.vm(), peer.host());
            return new Primary.Peer(held, false, null);
        } catch (AgentException e) {
            if (e.status() == 409 || e.status() == 400) {
                // Another version than we thought, or content that no longer matches ours: start over.
                LOG.warn("vm {}: secondary {} refused a delta ({}); it gets a seed", s.vm(), peer.host(), e.getMessage());
                return new Primary.Peer(known.version(), true, e.getMessage());
            }
            LOG.warn("vm {}: secondary {} failed: {}", s.vm(), peer.host(), e.getMessage());
            // 503: it rebuilds its replica from a disk it preserved (a former primary rejoining). What it
            // holds afterwards decides whether it needs a seed, so rounds meanwhile do not read the
            // whole disk to make one.
            return new Primary.Peer(known.version(), e.status() != 503 && known.needsSeed(), e.getMessage());
        } catch (IOException e) {
            metrics.counter("understudy.sends.failed", "secondary", peer.host()).increment();
            // The JDK's client says a refused connection with a bare ConnectException.
            String why = e.getMessage() != null ? e.getMessage()
                    : e instanceof java.net.ConnectException ? "connection refused" : e.getClass().getSimpleName();
            LOG.warn("vm {}: secondary {} unreachable: {}; it catches up later", s.vm(), peer.host(), why);
            return new Primary.Peer(known.version(), known.needsSeed(), "unreachable: " + why);
        }
    }

    /**
     * Sends a secondary the kernel and ramdisk the VM boots with, if it has them: Nova's copies in
     * its instance directory, under the fixed names Nova gives them there. They stay the same for
     * the instance's life, so each goes once per secondary, again only when it changed (a rebuild
     * onto another image), the VM was assigned anew, or this agent restarted. A failure costs Nova
     * a fetch from Glance at a failover, never the round. Nothing is followed: Nova's user owns the
     * instance directory, and a link there could have the agent send any file of this host.
     */
    private void shipBootFiles(AgentClient client, UUID vm, String peer) {
        Path dir = instancesPath.resolve(vm.toString());
        if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        for (BootFiles.Kind kind : BootFiles.Kind.values()) {
            Path file = dir.resolve(kind.fileName());
            BasicFileAttributes a;
            try {
                a = Files.readAttributes(file, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            } catch (NoSuchFileException e) {
                continue; // an image without a kernel: Nova boots the disk's own
            } catch (IOException e) {
                LOG.warn("vm {}: its {} unreadable: {}", vm, kind.fileName(), e.getMessage());
                continue;
            }
            if (!a.isRegularFile() || a.size() > BootFiles.MAX_BYTES) {
                continue;
            }
            String key = vm + " " + peer + " " + kind;
            String seen = a.size() + " " + a.lastModifiedTime();
            if (seen.equals(bootFilesSent.get(key))) {
                continue;
            }
            try {
                client.putBootFile(vm, kind.fileName(), HttpRequest.BodyPublishers.ofInputStream(() -> open(file)));
                bootFilesSent.put(key, seen);
                LOG.info("vm {}: secondary {} keeps its {} ({} bytes) for a failover", vm, peer, kind.fileName(),
                        a.size());
            } catch (IOException | UncheckedIOException e) {
                LOG.warn("vm {}: its {} not sent to secondary {}: {}; Nova fetches it there at a failover", vm,
                        kind.fileName(), peer, e.getMessage());
            }
        }
    }

    private static InputStream open(Path file) {
        try {
            return Files.newInputStream(file, LinkOption.NOFOLLOW_LINKS);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * The bitmaps the disk's file lists. Read while QEMU runs the disk: a directory QEMU rewrote
     * under the read may look damaged, and then none are named this round (the next reads it again)
     * rather than the protection stopped over bitmaps it only tidies.
     */
    private static List<String> bitmapNames(UUID vm, Qcow2Image disk) throws IOException {
        try {
            return disk.bitmapNames();
        } catch (BadImageException e) {
            LOG.debug("vm {}: bitmap directory not read this round: {}", vm, e.getMessage());
            return List.of();
        }
    }

    /** Whether {@code file} lies below {@code dir} (symbolic links resolved on both sides). */
    private static boolean under(Path file, Path dir) {
        try {
            return file.toRealPath().startsWith(dir.toRealPath());
        } catch (IOException e) {
            return false;
        }
    }

    /** Whether {@code file} is an image in the image cache (symbolic links resolved on both sides). */
    private boolean inImageCache(Path file) {
        try {
            return Files.isRegularFile(file) && Files.isDirectory(baseImages)
                    && file.toRealPath().getParent().equals(baseImages.toRealPath());
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * Has a secondary that holds nothing yet start its replica from its own copy of the base image
     * this primary's version 0 holds. Returns why it cannot (no such image there, or another one):
     * it then gets a seed from the empty disk.
     */
    private Optional<String> startFromBase(AgentClient client, Primary.State s, io.understudy.agent.api.Peer peer)
            throws IOException {
        Primary.Base base = s.base().orElseThrow();
        try {
            client.startFromBase(s.vm(), new BaseImage(base.image(), Primary.CLUSTER, base.manifestHash()));
            return Optional.empty();
        } catch (AgentException e) {
            if (e.status() != 404 && e.status() != 409) {
                throw e;
            }
            LOG.info("vm {}: secondary {} cannot start from base image {} ({}); it gets a seed", s.vm(), peer.host(),
                    base.image(), e.getMessage());
            return Optional.of("base image: " + e.getMessage());
        }
    }

    /**
     * Where the seed this round makes starts, if one is owed: from the version this primary started
     * from when every secondary owed one holds exactly that and refused nothing (a former primary
     * rolled back to it: only what changed since travels), else from the empty disk.
     */
    private static Optional<Long> seedFrom(Primary.State s) {
        List<Primary.Peer> owed = s.peers().values().stream().filter(Primary.Peer::needsSeed).toList();
        if (owed.isEmpty()) {
            return Optional.empty();
        }
        boolean atOrigin = s.origin() > 0
                && owed.stream().allMatch(p -> p.version() == s.origin() && p.lastError() == null);
        return Optional.of(atOrigin ? s.origin() : 0L);
    }

    /**
     * Whether the deltas kept lead from {@code held} to the newest version. A secondary holding
     * nothing is at version 0: the first round's delta is a seed that creates its replica.
     */
    private static boolean canCatchUp(Primary.State s, long held) {
        return held == s.version() || (held >= 0 && held < s.version() && s.journal().contains(held + 1));
    }

    /** The version a secondary holds; 0 when it holds none yet. */
    private static long heldBy(AgentClient client, UUID vm) throws IOException {
        try {
            return client.replica(vm).version();
        } catch (AgentException e) {
            if (e.status() == 404) {
                return 0;
            }
            throw e;
        }
    }

    private Primary primary(UUID vm) throws IOException {
        Primary p = primaries.get(vm);
        if (p != null) {
            return p;
        }
        synchronized (primaries) {
            p = primaries.get(vm);
            if (p == null) {
                Optional<Primary.ReplicaSnapshot> local = Optional.empty();
                Optional<Replica> replica = replicas.get(vm);
                if (replica.isPresent()) {
                    Replica.State rs = replica.get().state();
                    local = Optional.of(new Primary.ReplicaSnapshot(rs.version(), rs.virtualSize(),
                            replica.get().dir().resolve(rs.manifest())));
                }
                p = Primary.open(root.resolve(vm.toString()), vm, local);
                primaries.put(vm, p);
            }
            return p;
        }
    }

    /** Every VM this node is primary for, as the API shows them. */
    public List<PrimaryStatus> statuses() throws IOException {
        List<PrimaryStatus> all = new ArrayList<>();
        for (UUID vm : protections.keySet()) {
            all.add(status(vm, primary(vm)));
        }
        all.sort(Comparator.comparing(PrimaryStatus::vm));
        return all;
    }

    /** The VMs this node is primary for whose protection stopped, with the reason. */
    public Map<UUID, String> stopped() {
        Map<UUID, String> stopped = new java.util.HashMap<>();
        for (UUID vm : protections.keySet()) {
            Primary p = primaries.get(vm);
            if (p != null) {
                p.state().stopped().ifPresent(reason -> stopped.put(vm, reason));
            }
        }
        return stopped;
    }

    private PrimaryStatus status(UUID vm, Primary primary) {
        Primary.State s = primary.state();
        List<PrimaryStatus.SecondaryStatus> secondaries = s.peers().entrySet().stream()
                .map(e -> new PrimaryStatus.SecondaryStatus(e.getKey(), e.getValue().version(), e.getValue().needsSeed(),
                        e.getValue().lastError()))
                .sorted(Comparator.comparing(PrimaryStatus.SecondaryStatus::host)).toList();
        return new PrimaryStatus(vm, s.version(), s.lastRoundMillis() == 0 ? null : Instant.ofEpochMilli(s.lastRoundMillis()),
                s.lastRoundSeconds(), s.lastRoundFull(), s.lastError(), secondaries,
                s.base().map(Primary.Base::image).orElse(null), unreplicated.getOrDefault(vm, List.of()),
                s.stopped().isPresent() ? PrimaryStatus.STOPPED : PrimaryStatus.REPLICATING, s.stopped().orElse(null));
    }

    @Override
    public void close() {
        timer.shutdownNow();
        senders.shutdownNow();
    }
}
