package io.understudy.agent.libvirt;

import io.understudy.agent.nbd.Extent;
import io.understudy.agent.nbd.NbdClient;
import io.understudy.agent.qcow2.LayerWriter;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.libvirt.Domain;
import org.libvirt.DomainCheckpoint;
import org.libvirt.LibvirtException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.w3c.dom.Element;

/**
 * One replication round of a running domain: what its disks hold at one instant, or only what
 * changed since the previous round, read while the guest keeps running and writing.
 *
 * <p>A round is a libvirt pull-mode backup that creates a new checkpoint atomically with it. The
 * first round (or any round whose previous checkpoint cannot serve) is <em>full</em>: every
 * cluster that may hold data ({@code base:allocation}), the rest reported as zeros. Later rounds
 * are <em>incremental</em> from the previous checkpoint: only the clusters its dirty bitmap marks
 * ({@code qemu:dirty-bitmap:backup-DISK}). Both are read from the backup's NBD export on
 * 127.0.0.1, which shows the disks as they were when the backup began; then the job is aborted
 * and the previous checkpoint deleted, so one dirty bitmap per disk remains.
 * Nova's qcow2 chain is never changed: checkpoints live in the images as persistent bitmaps.
 *
 * <p>Between rounds libvirt knows no checkpoint of ours: libvirt refuses to undefine an inactive
 * domain that has checkpoints unless the caller says so, and Nova never does (it undefines on
 * delete, hard reboot, start after stop, resize, cold migration, shelve, and on a returning host
 * for evacuated instances). So a round defines the previous checkpoint again from what the caller
 * knows of it ({@code VIR_DOMAIN_CHECKPOINT_CREATE_REDEFINE}, validated against the bitmaps in the
 * images) and, as soon as the backup has begun, deletes the metadata alone of both checkpoints:
 * their bitmaps stay in the images and QEMU goes on marking them, across a clean stop and start
 * too. This is how oVirt keeps its incremental backups beside its own manager. libvirt holds our
 * metadata only from that redefinition to the backup's start, not while the round reads: Nova
 * destroys a domain and undefines it some 20 ms later (a hard reboot, a delete), and a round
 * reading then would make the undefine fail. A begin that fails (the likeliest cause: the domain
 * destroyed under it) removes the metadata before anything else. Once the round has read, the
 * previous checkpoint's bitmaps are removed the way stale ones are. The agent's start-up removes
 * any metadata a crash left ({@link #parkAll()}).
 *
 * <p>Never a wrong delta: a round is incremental only from a checkpoint whose bitmap every disk
 * still holds, consistent (a QEMU killed mid-write leaves it marked in use, and libvirt then refuses
 * it), and that libvirt agrees to back up from. Otherwise the round is full, and stale bitmaps of
 * ours in its way ("Bitmap already exists") are removed by redefining each as a checkpoint and
 * deleting it. Bitmaps are ours when named {@link #PREFIX}...; no other is ever touched. The caller
 * names further stale bitmaps of ours ({@link Request#stale()}: those a copied image brought along),
 * and the round removes them the same way before it begins.
 *
 * <p>A round that fails leaves the previous checkpoint as it found it (its bitmaps kept, its
 * metadata gone), so the caller retries from it. Its own checkpoint's metadata goes too; its bitmaps
 * stay until the retry, which names the same checkpoint, finds them in its way and removes them.
 * Scratch files are removed either way.
 *
 * <p>A full round reads what lies in the backing file too: libvirt 9.0's pull-mode export offers
 * only {@code base:allocation} and the dirty bitmap, not {@code qemu:allocation-depth} (measured).
 * Clusters that still equal what the secondary holds are skipped by their hashes instead: read
 * once, never shipped.
 */
public final class LiveCapture {

    /** Our checkpoints and dirty bitmaps are named with this prefix, and only ours are. */
    public static final String PREFIX = "understudy-";

    private static final int CHECKPOINT_REDEFINE = 1;
    private static final int CHECKPOINT_REDEFINE_VALIDATE = 1 << 2;
    private static final int CHECKPOINT_DELETE_METADATA_ONLY = 1 << 1;
    private static final int JOB_NONE = 0;
    /** VIR_DOMAIN_BACKUP_BEGIN_REUSE_EXTERNAL: the scratch images are ours, made before the backup. */
    private static final int REUSE_EXTERNAL = 1;
    /** 64 KiB, QEMU's default: what copy-before-write copies per guest write into the scratch image. */
    private static final int SCRATCH_CLUSTER_BITS = 16;
    /** How often a full round logs how far it has got. */
    static final Duration PROGRESS_EVERY = Duration.ofSeconds(10);

    /** Block status is asked per window, so a fragmented disk's extent list stays bounded. */
    private static final long STATUS_WINDOW = 1L << 30;
    /** The most read with one NBD request: several clusters of a run at once. */
    private static final int READ_CHUNK = 4 << 20;
    private static final int BIND_ATTEMPTS = 3;
    private static final Duration JOB_END = Duration.ofSeconds(60);
    private static final Pattern NAME = Pattern.compile(Pattern.quote(PREFIX) + "[A-Za-z0-9_.-]{1,100}");
    private static final Pattern BITMAP_EXISTS = Pattern.compile("Bitmap already exists: ([^\\s'\"]+)");
    private static final String LOOPBACK = "127.0.0.1";
    private static final Logger LOG = LoggerFactory.getLogger(LiveCapture.class);

    private final Hypervisor hypervisor;
    private final Path scratchDir;
    private final Duration nbdTimeout;
    /** The round running on each VM. */
    private final Map<UUID, Flight> flights = new HashMap<>();
    /** VMs whose rounds may not begin a backup (see {@link #bar}). */
    private final Set<UUID> barred = new HashSet<>();

    /**
     * A round in flight: whether it was aborted, and whether its backup job runs now. Its monitor
     * is held while the job begins and ends, so that an abort reaches only our own job.
     */
    private static final class Flight {
        private boolean aborted;
        private Domain job;
    }

    /**
     * @param scratchDir where QEMU keeps the backup's copy-before-write data while a round runs;
     *                   under {@code qemu:///system} QEMU runs as its own user, which must reach it
     *                   (a 0700 temporary folder fails the backup)
     * @param nbdTimeout the longest wait for the NBD export at any point
     */
    public LiveCapture(Hypervisor hypervisor, Path scratchDir, Duration nbdTimeout) {
        this.hypervisor = Objects.requireNonNull(hypervisor, "hypervisor");
        Objects.requireNonNull(scratchDir, "scratchDir");
        if (!scratchDir.isAbsolute() || !Files.isDirectory(scratchDir)) {
            throw new IllegalArgumentException("scratch folder " + scratchDir + " is not an absolute path to a folder");
        }
        this.scratchDir = scratchDir;
        if (nbdTimeout.isNegative() || nbdTimeout.isZero()) {
            throw new IllegalArgumentException("NBD timeout " + nbdTimeout + " is not positive");
        }
        this.nbdTimeout = nbdTimeout;
    }

    /**
     * What to capture.
     *
     * @param previous    the checkpoint the last successful round returned; empty for a first round
     * @param next        the name of the checkpoint this round creates, {@link #PREFIX}...
     * @param clusterSize the unit clusters are delivered in (a power of two)
     * @param disks       guest target ({@code vda}) to the sink of its clusters, in the order read
     * @param stale       bitmaps of ours no checkpoint needs any more, {@link #PREFIX}..., never
     *                    {@code previous}: removed from the disks that have them before the backup
     *                    begins; one that libvirt refuses to remove stays, and the round goes on
     */
    public record Request(UUID vm, Optional<String> previous, String next, int clusterSize,
            Map<String, ClusterSink> disks, Set<String> stale) {
        public Request {
            Objects.requireNonNull(vm, "vm");
            Objects.requireNonNull(previous, "previous");
            previous.ifPresent(p -> requireOurs(p, "previous checkpoint"));
            requireOurs(next, "next checkpoint");
            if (previous.equals(Optional.of(next))) {
                throw new IllegalArgumentException("next checkpoint " + next + " is the previous one");
            }
            if (Integer.bitCount(clusterSize) != 1 || clusterSize < 512 || clusterSize > (2 << 20)) {
                throw new IllegalArgumentException("cluster size " + clusterSize + " is not a power of two in 512..2 MiB");
            }
            if (disks.isEmpty()) {
                throw new IllegalArgumentException("no disk to capture");
            }
            disks = Collections.unmodifiableMap(new LinkedHashMap<>(disks));
            stale.forEach(name -> requireOurs(name, "stale bitmap"));
            if (previous.isPresent() && stale.contains(previous.get())) {
                throw new IllegalArgumentException("stale bitmap " + previous.get() + " is the previous checkpoint");
            }
            stale = Collections.unmodifiableSet(new LinkedHashSet<>(stale));
        }
    }

    /** What one disk's capture amounted to. */
    public record DiskRound(String target, long size, long reportedBytes, long readBytes, long clustersRead,
            long zeroClusters) {}

    /**
     * What a round did.
     *
     * @param checkpoint  the checkpoint it created: pass it as {@code previous} next time
     * @param fullBecause why the round was full; empty for an incremental round
     * @param dropped     stale bitmaps of ours it removed, as {@code NAME@DISK}
     * @param begin       from asking libvirt to the NBD export being up (checkpoint included)
     * @param read        block status and reads over NBD, the sinks' work included
     * @param end         ending the job and deleting the previous checkpoint
     */
    public record Round(String checkpoint, Optional<String> fullBecause, List<String> dropped, List<DiskRound> disks,
            Duration begin, Duration read, Duration end) {
        public Round {
            dropped = List.copyOf(dropped);
            disks = List.copyOf(disks);
        }

        public boolean full() {
            return fullBecause.isPresent();
        }

        public Duration total() {
            return begin.plus(read).plus(end);
        }
    }

    /**
     * Runs one round; see the class comment for what happens to checkpoints when it fails.
     *
     * @throws RoundAbortedException when {@link #bar} aborted it, or it was barred before it began
     */
    public Round run(Request request) throws IOException {
        Flight flight = new Flight();
        synchronized (flights) {
            if (barred.contains(request.vm())) {
                throw new RoundAbortedException(request.vm(), null);
            }
            if (flights.putIfAbsent(request.vm(), flight) != null) {
                throw new IllegalStateException("a round of vm " + request.vm() + " is already running");
            }
        }
        try {
            return fly(request, flight);
        } catch (IOException | RuntimeException e) {
            synchronized (flight) {
                if (flight.aborted) {
                    throw new RoundAbortedException(request.vm(), e);
                }
            }
            throw e;
        } finally {
            synchronized (flights) {
                flights.remove(request.vm(), flight);
                flights.notifyAll();
            }
        }
    }

    /**
     * Bars the VM's rounds from beginning a backup until {@link #unbar}, and aborts the backup of
     * the round in flight, if any (it fails with {@link RoundAbortedException} and its checkpoint
     * goes as a failed round's does). Returns once no round of the VM runs: Nova's live migration,
     * which must not meet our backup job, can be asked then.
     *
     * @param wait the longest wait for the round in flight to end
     */
    public void bar(UUID vm, Duration wait) throws IOException {
        Flight flight;
        synchronized (flights) {
            barred.add(vm);
            flight = flights.get(vm);
        }
        if (flight == null) {
            return;
        }
        synchronized (flight) {
            flight.aborted = true;
            if (flight.job != null) {
                try {
                    flight.job.abortJob();
                } catch (LibvirtException e) {
                    // Ended on its own meanwhile: the round ends all the same.
                    LOG.debug("vm {}: abort of its backup job: {}", vm, e.getMessage());
                }
            }
        }
        long deadline = System.nanoTime() + wait.toNanos();
        synchronized (flights) {
            while (flights.get(vm) == flight) {
                long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
                if (left <= 0) {
                    throw new HypervisorException("the round of vm " + vm + " has not ended " + wait.toSeconds()
                            + " s after its backup was aborted");
                }
                try {
                    flights.wait(left);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new InterruptedIOException("interrupted while the round of vm " + vm + " ended");
                }
            }
        }
    }

    /** Lets the VM's rounds begin backups again after {@link #bar}. */
    public void unbar(UUID vm) {
        synchronized (flights) {
            barred.remove(vm);
        }
    }

    private Round fly(Request request, Flight flight) throws IOException {
        Domain dom = hypervisor.domain(request.vm());
        DomainDescription desc = Hypervisor.describe(dom, request.vm());
        // Checked first: a backup of a stopped domain fails, and that failure must not cost the checkpoint.
        PowerState state = hypervisor.state(request.vm()).orElse(PowerState.SHUTOFF);
        if (state.stopped()) {
            throw new HypervisorException("domain " + desc.name() + " is not running; a live capture needs QEMU");
        }
        for (String target : request.disks().keySet()) {
            DomainDescription.Disk disk = desc.disk(target);
            if (!disk.checkpointable()) {
                throw new IllegalArgumentException("disk " + target + " of domain " + desc.name()
                        + " cannot carry a dirty bitmap (a writable qcow2 file disk can): " + disk);
            }
        }
        clearOurLeftoverBackup(dom, desc);
        // libvirt runs one job per domain: a round begun now would hold up Nova's migration,
        // snapshot or save for as long as it reads (and Nova's call fails after 30 s).
        int busy = jobType(dom, desc);
        if (busy != JOB_NONE) {
            throw new HypervisorException("domain " + desc.name() + " is busy with a job of its own (libvirt job type "
                    + busy + ": a migration, snapshot or save); no round while it runs");
        }
        // Leftovers of rounds that died before they could clean up: only the previous one counts.
        for (String name : checkpointNames(dom, desc)) {
            if (name.startsWith(PREFIX) && !request.previous().equals(Optional.of(name))) {
                deleteCheckpoint(dom, desc, name);
            }
        }
        List<String> dropped = new ArrayList<>();
        for (String name : request.stale()) {
            try {
                dropped.addAll(dropStaleBitmaps(dom, desc, name, request.disks().keySet()));
            } catch (HypervisorException e) {
                // A bitmap too many costs QEMU some work per write, not a correct round: it is tried again next time.
                LOG.warn("domain {}: stale bitmap {} not removed: {}", desc.name(), name, e.getMessage());
            }
        }
        Optional<String> fullBecause = request.previous().isEmpty() ? Optional.of("first round")
                : whyFull(dom, desc, request);
        if (fullBecause.isPresent() && request.previous().isPresent()) {
            dropped.addAll(dropStaleBitmaps(dom, desc, request.previous().get(), request.disks().keySet()));
        }

        long t0 = System.nanoTime();
        Job job;
        synchronized (flight) {
            if (flight.aborted) {
                RoundAbortedException aborted = new RoundAbortedException(request.vm(), null);
                request.previous().ifPresent(p -> park(dom, desc, p, aborted));
                throw aborted;
            }
            try {
                job = begin(dom, desc, request, fullBecause.isEmpty() ? request.previous() : Optional.empty(), dropped);
            } catch (HypervisorException e) {
                // First of all: the likeliest cause is a domain Nova has just destroyed, and is about to undefine.
                request.previous().ifPresent(p -> park(dom, desc, p, e));
                if (fullBecause.isPresent()) {
                    throw e;
                }
                // libvirt would not back up from the previous checkpoint (a bitmap broken by a crash,
                // say): a full round instead. The previous bitmaps go only once this round has
                // succeeded, so a failure that has nothing to do with them costs nothing.
                fullBecause = Optional.of("libvirt refused an incremental backup from " + request.previous().get()
                        + ": " + e.libvirtMessage());
                job = begin(dom, desc, request, Optional.empty(), dropped);
            }
            flight.job = dom;
        }
        long t1 = System.nanoTime();
        List<DiskRound> disks = new ArrayList<>();
        try {
            // The export reads from QEMU's own copy of the bitmaps: libvirt needs no checkpoint from here on.
            park(dom, desc, request.next());
            if (request.previous().isPresent()) {
                park(dom, desc, request.previous().get());
            }
            for (Map.Entry<String, ClusterSink> d : request.disks().entrySet()) {
                disks.add(read(job, request.vm(), d.getKey(), request.clusterSize(), d.getValue()));
            }
        } catch (IOException | RuntimeException e) {
            // Every step is tried even when an earlier one fails: a domain stopped under the round
            // refuses the abort, and its metadata must go all the same.
            try {
                endJob(dom, desc, job, flight);
            } catch (IOException | RuntimeException cleanup) {
                e.addSuppressed(cleanup);
            }
            // Its bitmaps are not removed here: that defines the checkpoint again, and a domain Nova
            // has just destroyed is undefined within milliseconds. A retry under the same name removes them.
            park(dom, desc, request.next(), e);
            request.previous().ifPresent(p -> park(dom, desc, p, e));
            throw e;
        }
        long t2 = System.nanoTime();
        endJob(dom, desc, job, flight);
        if (request.previous().isPresent()) {
            // Whatever made the round full, the previous checkpoint has served: only this round's stays.
            try {
                dropStaleBitmaps(dom, desc, request.previous().get(), request.disks().keySet());
            } catch (HypervisorException e) {
                // The round is whole; a bitmap too many is tried again as a stale one next time.
                LOG.warn("domain {}: bitmaps of the previous checkpoint {} not removed: {}", desc.name(),
                        request.previous().get(), e.getMessage());
            }
        }
        long t3 = System.nanoTime();
        return new Round(request.next(), fullBecause, dropped, disks, Duration.ofNanos(t1 - t0),
                Duration.ofNanos(t2 - t1), Duration.ofNanos(t3 - t2));
    }

    /**
     * Unprotecting a VM: removes the bitmaps of its last checkpoint {@code last} (so QEMU stops
     * maintaining them) and any checkpoint of ours libvirt still knows.
     */
    public void forget(UUID vm, Optional<String> last) throws IOException {
        Domain dom = hypervisor.domain(vm);
        DomainDescription desc = Hypervisor.describe(dom, vm);
        for (String name : checkpointNames(dom, desc)) {
            if (name.startsWith(PREFIX)) {
                deleteCheckpoint(dom, desc, name);
            }
        }
        if (last.isPresent()) {
            requireOurs(last.get(), "last checkpoint");
            Set<String> targets = new LinkedHashSet<>();
            desc.disks().stream().filter(DomainDescription.Disk::checkpointable).forEach(d -> targets.add(d.target()));
            dropStaleBitmaps(dom, desc, last.get(), targets);
        }
    }

    /**
     * Removes the metadata of every checkpoint of ours from every domain libvirt defines, running
     * or not; their bitmaps stay. For the agent's start-up, before nova-compute: a host that died
     * mid-round left the metadata of that round, libvirt reloads it, and Nova could not undefine
     * the domain. Returns {@code DOMAIN/CHECKPOINT} of each removed.
     */
    public List<String> parkAll() throws IOException {
        List<String> parked = new ArrayList<>();
        for (Domain dom : hypervisor.all()) {
            DomainDescription desc;
            try {
                desc = Hypervisor.describe(dom, null);
            } catch (HypervisorException e) {
                continue; // undefined while we listed
            }
            for (String name : checkpointNames(dom, desc)) {
                if (name.startsWith(PREFIX)) {
                    park(dom, desc, name);
                    parked.add(desc.name() + "/" + name);
                }
            }
        }
        return parked;
    }

    /** The names of the domain's checkpoints libvirt knows. */
    public List<String> checkpoints(UUID vm) throws IOException {
        Domain dom = hypervisor.domain(vm);
        return checkpointNames(dom, Hypervisor.describe(dom, vm));
    }

    /**
     * Why this round cannot be incremental from the previous checkpoint, if it cannot: defines that
     * checkpoint again (unless libvirt still knows it), checked against the bitmaps in the images.
     */
    private static Optional<String> whyFull(Domain dom, DomainDescription desc, Request request)
            throws HypervisorException {
        String previous = request.previous().orElseThrow();
        if (lookup(dom, previous).isEmpty()) {
            try {
                dom.checkpointCreateXML(checkpointXml(desc, previous, request.disks().keySet(), true),
                        CHECKPOINT_REDEFINE | CHECKPOINT_REDEFINE_VALIDATE);
            } catch (LibvirtException e) {
                return Optional.of("the bitmaps of checkpoint " + previous + " are not all in the images of domain "
                        + desc.name() + " (a disk replaced, or its QEMU killed?): " + e.getError().getMessage());
            }
        }
        return coverage(dom, desc, request, previous);
    }

    /** Whether {@code previous}, defined in libvirt, has a bitmap on every disk of the request. */
    private static Optional<String> coverage(Domain dom, DomainDescription desc, Request request, String previous)
            throws HypervisorException {
        Optional<DomainCheckpoint> cp = lookup(dom, previous);
        if (cp.isEmpty()) {
            return Optional.of("libvirt has no checkpoint " + previous + " (deleted while we looked)");
        }
        Element xml;
        try {
            xml = Xml.parse(cp.get().getXMLDesc(0), "checkpoint XML");
        } catch (LibvirtException e) {
            throw new HypervisorException("read checkpoint " + previous + " of domain " + desc.name(), e);
        }
        List<String> covered = new ArrayList<>();
        for (Element disks : Xml.children(xml, "disks")) {
            for (Element disk : Xml.children(disks, "disk")) {
                if (Xml.attribute(disk, "checkpoint").orElse("bitmap").equals("bitmap")) {
                    covered.add(disk.getAttribute("name"));
                }
            }
        }
        for (String target : request.disks().keySet()) {
            if (!covered.contains(target)) {
                return Optional.of("checkpoint " + previous + " has no bitmap for disk " + target);
            }
        }
        return Optional.empty();
    }

    /** A running backup job: where its export listens and what each disk is exported as. */
    private record Job(int port, Map<String, Export> exports, List<Path> scratch) {}

    private record Export(String name, Optional<String> bitmap) {}

    /** Starts the backup job; stale bitmaps of ours in the way are dropped and added to {@code dropped}. */
    private Job begin(Domain dom, DomainDescription desc, Request request, Optional<String> from, List<String> dropped)
            throws IOException {
        List<Path> scratch = new ArrayList<>();
        try {
            for (String target : request.disks().keySet()) {
                Path p = scratchDir.resolve(desc.uuid() + "." + target + "." + request.next() + ".scratch.qcow2");
                Files.deleteIfExists(p);
                scratch.add(p);
                createScratch(p, capacity(dom, desc, target));
            }
        } catch (IOException | RuntimeException e) {
            deleteScratch(scratch);
            throw e;
        }
        String checkpointXml = checkpointXml(desc, request.next(), request.disks().keySet(), false);
        boolean droppedStale = false;
        for (int attempt = 1; ; attempt++) {
            int port = freePort();
            try {
                dom.backupBegin(backupXml(desc, request, from, port, scratch), checkpointXml, REUSE_EXTERNAL);
                return new Job(port, exports(dom, desc), scratch);
            } catch (LibvirtException e) {
                String message = e.getError().getMessage();
                Matcher stale = BITMAP_EXISTS.matcher(message);
                if (stale.find() && stale.group(1).startsWith(PREFIX) && !droppedStale) {
                    // Our own bitmap that libvirt forgot: it goes, and the backup is tried again.
                    dropped.addAll(dropStaleBitmaps(dom, desc, stale.group(1), request.disks().keySet()));
                    droppedStale = true;
                } else if (isBindFailure(message) && attempt < BIND_ATTEMPTS) {
                    continue; // another process took the port between our probe and QEMU's bind
                } else {
                    deleteScratch(scratch);
                    throw new HypervisorException("begin a " + (from.isPresent() ? "backup from " + from.get() : "full backup")
                            + " of domain " + desc.name() + " (scratch in " + scratchDir + ")", e);
                }
            }
        }
    }

    /**
     * An empty qcow2 scratch image of SIZE bytes, made here rather than by libvirt: libvirt makes
     * one with a QEMU job while the backup's own job is held but not yet set up, and for that while
     * it answers a job query with "backup job data missing" — which fails a Nova live migration
     * that meets it. Made ahead, the set-up is a few monitor commands.
     */
    private static void createScratch(Path scratch, long size) throws IOException {
        try (FileChannel out = FileChannel.open(scratch, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            new LayerWriter(out, size, SCRATCH_CLUSTER_BITS, null, null).finish();
        }
    }

    /** The disk's size as QEMU sees it. */
    private static long capacity(Domain dom, DomainDescription desc, String target) throws HypervisorException {
        try {
            return dom.blockInfo(target).getCapacity();
        } catch (LibvirtException e) {
            throw new HypervisorException("read the size of disk " + target + " of domain " + desc.name(), e);
        }
    }

    private static boolean isBindFailure(String message) {
        return message.contains("Address already in use") || message.contains("Failed to bind socket");
    }

    private String backupXml(DomainDescription desc, Request request, Optional<String> from, int port, List<Path> scratch) {
        StringBuilder x = new StringBuilder("<domainbackup mode='pull'>");
        from.ifPresent(f -> x.append("<incremental>").append(Xml.escape(f)).append("</incremental>"));
        x.append("<server transport='tcp' name='").append(LOOPBACK).append("' port='").append(port).append("'/><disks>");
        List<String> targets = List.copyOf(request.disks().keySet());
        for (DomainDescription.Disk disk : desc.disks()) {
            int i = targets.indexOf(disk.target());
            if (i >= 0) {
                x.append("<disk name='").append(Xml.escape(disk.target())).append("' backup='yes' type='file'>")
                        .append("<driver type='qcow2'/><scratch file='").append(Xml.escape(scratch.get(i).toString())).append("'/></disk>");
            } else {
                x.append("<disk name='").append(Xml.escape(disk.target())).append("' backup='no'/>");
            }
        }
        return x.append("</disks></domainbackup>").toString();
    }

    /** A checkpoint with a bitmap on {@code targets} and none elsewhere; {@code redefine} adds what libvirt then needs. */
    private static String checkpointXml(DomainDescription desc, String name, Set<String> targets, boolean redefine) {
        StringBuilder x = new StringBuilder("<domaincheckpoint><name>").append(Xml.escape(name)).append("</name>");
        if (redefine) {
            x.append("<creationTime>1</creationTime>");
        }
        x.append("<disks>");
        for (DomainDescription.Disk disk : desc.disks()) {
            x.append("<disk name='").append(Xml.escape(disk.target())).append("' checkpoint='")
                    .append(targets.contains(disk.target()) ? "bitmap" : "no").append("'/>");
        }
        return x.append("</disks></domaincheckpoint>").toString();
    }

    /** The export name and dirty bitmap of each backed-up disk, as libvirt set them up. */
    private static Map<String, Export> exports(Domain dom, DomainDescription desc) throws HypervisorException {
        Element xml;
        try {
            xml = Xml.parse(dom.getBackupXMLDesc(0), "backup XML");
        } catch (LibvirtException e) {
            throw new HypervisorException("read the backup job of domain " + desc.name(), e);
        }
        Map<String, Export> exports = new LinkedHashMap<>();
        for (Element disks : Xml.children(xml, "disks")) {
            for (Element disk : Xml.children(disks, "disk")) {
                if (Xml.attribute(disk, "backup").orElse("yes").equals("yes")) {
                    String target = disk.getAttribute("name");
                    exports.put(target, new Export(Xml.attribute(disk, "exportname").orElse(target),
                            Xml.attribute(disk, "exportbitmap")));
                }
            }
        }
        return exports;
    }

    private DiskRound read(Job job, UUID vm, String target, int clusterSize, ClusterSink sink) throws IOException {
        Export export = job.exports().get(target);
        if (export == null) {
            throw new HypervisorException("the backup job exports no disk " + target + " (it exports "
                    + job.exports().keySet() + ")");
        }
        String context = export.bitmap().map(NbdClient::dirtyBitmap).orElse(NbdClient.BASE_ALLOCATION);
        boolean incremental = export.bitmap().isPresent();
        try (NbdClient nbd = NbdClient.connect(new InetSocketAddress(LOOPBACK, job.port()), export.name(),
                List.of(context), nbdTimeout)) {
            if (!nbd.contexts().contains(context)) {
                throw new HypervisorException("the NBD export of " + target + " offers no " + context + " (it offers "
                        + nbd.contexts() + ")");
            }
            long size = nbd.size();
            long clusters = size == 0 ? 0 : (size - 1) / clusterSize + 1;
            ClusterRuns runs = new ClusterRuns(clusterSize,
                    incremental ? e -> e.has(Extent.DIRTY) : e -> !e.has(Extent.ZERO));
            ByteBuffer buffer = ByteBuffer.allocate(Math.max(READ_CHUNK, clusterSize));
            long cursor = 0;
            long readBytes = 0;
            long clustersRead = 0;
            long zeroClusters = 0;
            // A full round seeds a replica and may take minutes: it says how far it has got.
            Optional<ReadProgress> progress = incremental ? Optional.empty() : Optional.of(new ReadProgress(
                    "vm " + vm + " disk " + target + ", full round", size, PROGRESS_EVERY.toNanos(), System.nanoTime()));
            for (long at = 0; at < size; at += STATUS_WINDOW) {
                nbd.blockStatus(context, at, Math.min(STATUS_WINDOW, size - at), runs::add);
                for (long[] run : runs.drain()) {
                    long first = run[0];
                    long end = Math.min(run[1], clusters);
                    if (!incremental && first > cursor) {
                        sink.zeros(cursor, first - cursor);
                        zeroClusters += first - cursor;
                    }
                    readBytes += readRun(nbd, first, end, clusterSize, size, buffer, sink, progress, readBytes);
                    clustersRead += end - first;
                    cursor = end;
                }
            }
            if (!incremental && cursor < clusters) {
                sink.zeros(cursor, clusters - cursor);
                zeroClusters += clusters - cursor;
            }
            return new DiskRound(target, size, runs.wantedBytes(), readBytes, clustersRead, zeroClusters);
        }
    }

    /**
     * Reads clusters {@code [first, end)} in large requests and hands each to the sink; returns the
     * bytes read. PROGRESS hears of each request, with the READ_BEFORE bytes the round read before.
     */
    private static long readRun(NbdClient nbd, long first, long end, int clusterSize, long size, ByteBuffer buffer,
            ClusterSink sink, Optional<ReadProgress> progress, long readBefore) throws IOException {
        int perChunk = buffer.capacity() / clusterSize;
        long bytes = 0;
        for (long c = first; c < end; c += perChunk) {
            long chunkEnd = Math.min(end, c + perChunk);
            long from = c * clusterSize;
            int length = (int) (Math.min(chunkEnd * clusterSize, size) - from);
            buffer.clear().limit(length);
            nbd.read(from, buffer);
            bytes += length;
            long read = readBefore + bytes;
            progress.flatMap(p -> p.at(from + length, read, System.nanoTime())).ifPresent(LOG::info);
            for (long k = c; k < chunkEnd; k++) {
                int offset = (int) ((k - c) * clusterSize);
                sink.data(k, buffer.slice(offset, Math.min(clusterSize, length - offset)));
            }
        }
        return bytes;
    }

    /**
     * An agent that died mid-round left its backup job running, and libvirt allows no other job
     * on the domain until it ends: a backup whose scratch files are in our folder is ours, and ends.
     */
    private void clearOurLeftoverBackup(Domain dom, DomainDescription desc) throws IOException {
        String xml;
        try {
            xml = dom.getBackupXMLDesc(0);
        } catch (LibvirtException e) {
            return; // no backup job: libvirt answers "no domain backup job present"
        }
        Element backup = Xml.parse(xml, "backup XML");
        List<Path> scratch = new ArrayList<>();
        for (Element disks : Xml.children(backup, "disks")) {
            for (Element disk : Xml.children(disks, "disk")) {
                Xml.child(disk, "scratch").flatMap(s -> Xml.attribute(s, "file")).map(Path::of).ifPresent(scratch::add);
            }
        }
        if (!scratch.isEmpty() && scratch.stream().allMatch(p -> scratchDir.equals(p.getParent()))) {
            endJob(dom, desc, new Job(0, Map.of(), scratch), new Flight());
        }
    }

    private static int jobType(Domain dom, DomainDescription desc) throws HypervisorException {
        try {
            return dom.getJobInfo().getType();
        } catch (LibvirtException e) {
            if (e.getError().getCode() == org.libvirt.Error.ErrorNumber.VIR_ERR_NO_SUPPORT) {
                return JOB_NONE; // a driver without jobs (libvirt's test driver) has none to wait for
            }
            throw new HypervisorException("read the job state of domain " + desc.name(), e);
        }
    }

    /**
     * Ends the backup job and waits until libvirt has torn it down (it tears down the NBD export and
     * the scratch files after abort returns), then removes any scratch file left.
     */
    private static void endJob(Domain dom, DomainDescription desc, Job job, Flight flight) throws IOException {
        synchronized (flight) {
            // From here on the job is no longer one a bar may abort: it is ending, or gone already.
            boolean abortedAlready = flight.aborted && flight.job != null;
            flight.job = null;
            try {
                dom.abortJob();
            } catch (LibvirtException e) {
                if (!abortedAlready) {
                    throw new HypervisorException("abort the backup job of domain " + desc.name(), e);
                }
            }
        }
        long deadline = System.nanoTime() + JOB_END.toNanos();
        long pause = 1;
        try {
            while (dom.getJobInfo().getType() != JOB_NONE) {
                if (System.nanoTime() > deadline) {
                    throw new HypervisorException("the backup job of domain " + desc.name() + " has not ended "
                            + JOB_END.toSeconds() + " s after its abort");
                }
                // libvirt offers no wait for a job's end short of an event loop; back off briefly.
                TimeUnit.MILLISECONDS.sleep(pause);
                pause = Math.min(pause * 2, 50);
            }
        } catch (LibvirtException e) {
            throw new HypervisorException("read the job state of domain " + desc.name(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while the backup job of " + desc.name() + " ended");
        }
        deleteScratch(job.scratch());
    }

    private static void deleteScratch(List<Path> scratch) throws IOException {
        for (Path p : scratch) {
            Files.deleteIfExists(p);
        }
    }

    /**
     * Deletes a checkpoint and its bitmaps; when the bitmaps are already gone (the image was
     * replaced, say) libvirt refuses, and then only its metadata goes.
     */
    private static void deleteCheckpoint(Domain dom, DomainDescription desc, String name) throws HypervisorException {
        Optional<DomainCheckpoint> found = lookup(dom, name);
        if (found.isEmpty()) {
            return;
        }
        DomainCheckpoint cp = found.get();
        try {
            cp.delete(0);
        } catch (LibvirtException e) {
            try {
                cp.delete(CHECKPOINT_DELETE_METADATA_ONLY);
            } catch (LibvirtException again) {
                again.addSuppressed(e);
                throw new HypervisorException("delete checkpoint " + name + " of domain " + desc.name(), again);
            }
        }
    }

    /** Deletes a checkpoint's metadata alone, if libvirt has it: its bitmaps stay in the images. */
    private static void park(Domain dom, DomainDescription desc, String name) throws HypervisorException {
        Optional<DomainCheckpoint> found = lookup(dom, name);
        if (found.isPresent()) {
            try {
                found.get().delete(CHECKPOINT_DELETE_METADATA_ONLY);
            } catch (LibvirtException e) {
                throw new HypervisorException("delete the metadata of checkpoint " + name + " of domain " + desc.name(), e);
            }
        }
    }

    /** {@link #park(Domain, DomainDescription, String)} on a failure's path: its own failure joins that one. */
    private static void park(Domain dom, DomainDescription desc, String name, Exception failure) {
        try {
            park(dom, desc, name);
        } catch (HypervisorException | RuntimeException e) {
            failure.addSuppressed(e);
        }
    }

    /**
     * Removes bitmaps named {@code name} that libvirt no longer knows as a checkpoint: each disk's
     * is redefined as a checkpoint of that disk alone, validated against the image (so nothing is
     * defined where no such bitmap exists), then deleted through libvirt. Returns {@code NAME@DISK}
     * of each removed. A checkpoint it cannot delete loses its metadata all the same: a checkpoint
     * libvirt knows would stop Nova undefining the domain.
     */
    private static List<String> dropStaleBitmaps(Domain dom, DomainDescription desc, String name, Set<String> targets)
            throws HypervisorException {
        List<String> dropped = new ArrayList<>();
        for (String target : targets) {
            DomainCheckpoint cp;
            try {
                cp = dom.checkpointCreateXML(checkpointXml(desc, name, Set.of(target), true),
                        CHECKPOINT_REDEFINE | CHECKPOINT_REDEFINE_VALIDATE);
            } catch (LibvirtException e) {
                continue; // no such bitmap on this disk
            }
            try {
                cp.delete(0);
            } catch (LibvirtException e) {
                HypervisorException failure = new HypervisorException("delete stale bitmap " + name + " of disk "
                        + target + " of domain " + desc.name(), e);
                park(dom, desc, name, failure);
                throw failure;
            }
            dropped.add(name + "@" + target);
        }
        return dropped;
    }

    /** libvirt-java answers a failed lookup (no such checkpoint) with null, not an exception. */
    private static Optional<DomainCheckpoint> lookup(Domain dom, String name) throws HypervisorException {
        try {
            return Optional.ofNullable(dom.checkpointLookupByName(name));
        } catch (LibvirtException e) {
            throw new HypervisorException("look up checkpoint " + name, e);
        }
    }

    private static List<String> checkpointNames(Domain dom, DomainDescription desc) throws HypervisorException {
        try {
            return List.of(dom.checkpointListNames(0));
        } catch (LibvirtException e) {
            throw new HypervisorException("list the checkpoints of domain " + desc.name(), e);
        }
    }

    /** A port free on the loopback address now; QEMU binds it a moment later (see BIND_ATTEMPTS). */
    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName(LOOPBACK))) {
            return s.getLocalPort();
        }
    }

    private static void requireOurs(String name, String what) {
        Objects.requireNonNull(name, what);
        if (!NAME.matcher(name).matches()) {
            throw new IllegalArgumentException(what + " '" + name + "' is not " + PREFIX
                    + " followed by 1-100 of letters, digits, _ . -");
        }
    }
}
