package io.understudy.agent.libvirt;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.understudy.agent.delta.DeltaHeader;
import io.understudy.agent.delta.DeltaReader;
import io.understudy.agent.delta.DeltaWriter;
import io.understudy.agent.testing.Qemu;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Live capture from a real running guest under {@code qemu:///system} (TCG): the tiny guest keeps
 * writing numbered records to its qcow2 v3 disk (over a raw backing file) while rounds capture it;
 * each round's delta is applied to a raw replica, which must then be a point-in-time copy (every
 * slot holds the newest record up to the newest present). Between rounds libvirt knows no
 * checkpoint of ours, so the domain can be undefined with Nova's own flags: midway it is, the way
 * Nova's hard reboot does it, and the next round goes on incremental from the bitmap the image
 * kept; then again in the middle of a round, which must not stop Nova's undefine. A hold's bar
 * aborts a round in the middle, and none begins while it lasts. A QEMU killed outright leaves that bitmap inconsistent, and the next round goes full. At
 * the end the guest is paused, a last round taken, the guest destroyed, and the replica must
 * equal the disk ({@code qemu-img compare})
 * with no bitmap of ours left in the image. Last, the replica boots as a domain of its own and
 * the guest in it finds its newest record there.
 *
 * <p>Needs root and libvirtd ({@code devstack/libvirt.sh up}; bin/test-all runs it); without
 * them this test fails and says so.
 */
class LibvirtCaptureIT {

    private static final int CLUSTER = 65536;
    /** Nova 26's {@code Guest.delete_configuration}: MANAGED_SAVE | NVRAM, never CHECKPOINTS_METADATA. */
    private static final int NOVA_UNDEFINE = 1 | 4;
    private static final long DISK = 64L << 20;
    private static final int SLOTS = 128;
    /** One record per 64 KiB cluster: a round's dirty data is about 64 KiB per record written. */
    private static final int STRIDE = 65536;
    /** Records between rounds: ~6 MiB dirty, the amount RESEARCH.md timed stock tools on. */
    private static final int RECORDS_PER_ROUND = 96;
    private static final Duration BOOT = Duration.ofMinutes(4);
    private static final Duration WRITING = Duration.ofMinutes(3);
    /** Not anchored at the line's start: a kernel message may share the line. */
    private static final Pattern RESUMED = Pattern.compile("understudy-guest resume (\\d+)\\r?\\n", Pattern.MULTILINE);

    private Hypervisor hypervisor;
    private Path work;
    private UUID vm;
    private UUID booted;
    private DomainSpec spec;
    private ConsoleLog console;
    private LiveCapture capture;
    private Path scratch;
    private Path replica;
    private TinyGuest guest;
    /** The replica's version: its per-cluster hashes, and the checkpoint it was captured at. */
    private NavigableMap<Long, byte[]> hashes;
    private Optional<String> checkpoint = Optional.empty();
    private int rounds;
    private final List<String> report = new ArrayList<>();

    @BeforeEach
    void setUp() throws Exception {
        hypervisor = TinyGuest.systemHypervisor();
        guest = TinyGuest.build(SLOTS, STRIDE);
        work = TinyGuest.workDir("understudy-libvirt-it");
        scratch = Files.createDirectory(work.resolve("scratch"));
        vm = UUID.randomUUID();
        capture = new LiveCapture(hypervisor, scratch, Duration.ofSeconds(30));
    }

    @AfterEach
    void tearDown() throws Exception {
        try {
            if (hypervisor != null) {
                for (UUID domain : new UUID[] {vm, booted}) {
                    if (domain != null) {
                        hypervisor.destroy(domain);
                        hypervisor.undefine(domain);
                    }
                }
            }
        } finally {
            if (console != null) {
                console.close();
            }
            if (hypervisor != null) {
                hypervisor.close();
            }
            if (work != null) {
                try (Stream<Path> all = Files.walk(work)) {
                    for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
                        Files.deleteIfExists(p);
                    }
                }
            }
            report.forEach(System.out::println);
        }
    }

    @Test
    void roundsWhileTheGuestWritesKeepAPointInTimeReplicaAndEndEqual() throws Exception {
        Path base = work.resolve("base.raw");
        Qemu.img("create", "-q", "-f", "raw", base.toString(), Long.toString(DISK));
        // Data the guest never touches, and some it overwrites (slots 16..31 start as 0x77).
        Qemu.ioAs("raw", base, "write -P 0x5a 16M 3M", "write -P 0x77 1M 1M", "write -P 0x11 60M 64k");
        Path disk = work.resolve("disk.qcow2");
        Qemu.img("create", "-q", "-f", "qcow2", "-o", "compat=1.1", "-b", base.toString(), "-F", "raw",
                disk.toString());
        // The secondary already holds the base image: the first round ships only what differs from it.
        replica = work.resolve("replica.raw");
        Files.copy(base, replica);
        hashes = hashesOf(base);

        Path log = work.resolve("console.log");
        console = new ConsoleLog(log);
        spec = guest.spec("understudy-it-" + vm.toString().substring(0, 8), vm, disk, log, "0.02");
        hypervisor.defineAndStart(spec);
        long resumed = Long.parseLong(console.await(RESUMED, 1, BOOT).group(1));
        assertThat(resumed).isZero();

        LiveCapture.Round first = round();
        assertThat(first.fullBecause()).contains("first round");
        for (int i = 0; i < 3; i++) {
            assertThat(round().full()).isFalse();
        }

        // Nova's hard reboot: destroy, then undefine with Nova's own flags (which would fail on a
        // checkpoint libvirt still knew), define, start. The bitmap stays in the image and QEMU,
        // started again, goes on marking it: the next round is incremental from it.
        redefine(2);
        assertThat(round().full()).as("the round after a redefinition").isFalse();

        // The same reboot in the middle of a round: Nova destroys the domain and undefines it some
        // 20 ms later, while the round reads. libvirt knows no checkpoint of ours once the backup has
        // begun, so the undefine succeeds and the round fails. Its retry, under the same name as
        // the agent's is, goes on incremental and removes the failed round's bitmap on its way.
        String midRound = LiveCapture.PREFIX + "it-" + (rounds + 1);
        NovaRebootsMidRound reboot = new NovaRebootsMidRound();
        roundFails(midRound, reboot, IOException.class);
        assertThat(reboot.checkpointsWhileReading).as("checkpoints libvirt knew while the round read").isEmpty();
        assertThat(reboot.undefineFailure).as("Nova's undefine in the middle of a round").isNull();
        hypervisor.defineAndStart(spec);
        console.await(RESUMED, 3, BOOT);
        LiveCapture.Round retry = round(midRound);
        assertThat(retry.full()).as("the retry after a reboot mid-round").isFalse();
        assertThat(retry.dropped()).containsExactly(midRound + "@vda");

        // A hold for a live migration in the middle of a round: the bar aborts the round's backup
        // and returns once the round has ended, with no job of ours left on the domain for the
        // migration to meet. Barred, no round begins; unbarred, the retry goes on incremental.
        String barred = LiveCapture.PREFIX + "it-" + (rounds + 1);
        BarsMidRound bar = new BarsMidRound();
        roundFails(barred, bar, RoundAbortedException.class);
        bar.barring.join();
        assertThat(bar.failure).as("the bar").isNull();
        assertThat(hypervisor.domain(vm).getJobInfo().getType()).as("libvirt's job on the domain after the bar")
                .isZero();
        assertThat(capture.checkpoints(vm)).isEmpty();
        assertThatThrownBy(() -> capture.run(new LiveCapture.Request(vm, checkpoint, barred, CLUSTER,
                Map.of("vda", new BarsMidRound()), Set.of()))).as("a round while barred")
                .isInstanceOf(RoundAbortedException.class);
        capture.unbar(vm);
        LiveCapture.Round unbarred = round(barred);
        assertThat(unbarred.full()).as("the retry after the bar").isFalse();
        assertThat(unbarred.dropped()).containsExactly(barred + "@vda");
        report.add(String.format("bar: the round's backup aborted, the bar returned %d ms after it was asked",
                bar.tookMillis));

        // A QEMU killed outright leaves its bitmap marked in use (inconsistent): libvirt refuses
        // to define the checkpoint on it again, and the round goes full.
        String broken = checkpoint.orElseThrow();
        killQemu();
        hypervisor.domain(vm).undefine(NOVA_UNDEFINE);
        hypervisor.defineAndStart(spec);
        console.await(RESUMED, 4, BOOT);
        LiveCapture.Round afterKill = round();
        assertThat(afterKill.fullBecause()).get().asString().contains(broken);
        assertThat(round().full()).isFalse();

        // Again, and this time the caller lost its state too and reuses the stale bitmap's name:
        // the checkpoint fails with "Bitmap already exists" until that bitmap is dropped.
        String stale = checkpoint.orElseThrow();
        redefine(5);
        checkpoint = Optional.empty();
        LiveCapture.Round reused = round(stale);
        assertThat(reused.fullBecause()).contains("first round");
        assertThat(reused.dropped()).containsExactly(stale + "@vda");
        assertThat(round().full()).isFalse();

        // The hand-over: pause, a last round, destroy. Nothing written after the pause exists.
        hypervisor.pause(vm);
        assertThat(round().full()).isFalse();
        capture.forget(vm, checkpoint);
        assertThat(capture.checkpoints(vm)).isEmpty();
        hypervisor.destroy(vm);

        assertThat(Qemu.identical(disk, replica)).as("qemu-img compare disk replica").isTrue();
        JsonNode info = new ObjectMapper().readTree(Qemu.img("info", "--output=json", disk.toString()));
        assertThat(info.path("format-specific").path("data").path("bitmaps").size())
                .as("bitmaps left in %s: %s", disk, info.path("format-specific").path("data").path("bitmaps"))
                .isZero();
        TinyGuest.Verdict last = guest.judge(replica);
        assertThat(last.problem()).isEmpty();
        assertThat(last.newest()).isGreaterThanOrEqualTo(console.lastRecord());

        // Activation without Nova: the replica is the disk of a new domain, on a layer of its own.
        Path activated = work.resolve("activated.qcow2");
        Qemu.img("create", "-q", "-f", "qcow2", "-o", "compat=1.1", "-b", replica.toString(), "-F", "raw",
                activated.toString());
        Path bootLog = work.resolve("activated.console.log");
        booted = UUID.randomUUID();
        try (ConsoleLog activatedConsole = new ConsoleLog(bootLog)) {
            hypervisor.defineAndStart(guest.spec("understudy-it-" + booted.toString().substring(0, 8), booted,
                    activated, bootLog, "0.02"));
            assertThat(Long.parseLong(activatedConsole.await(RESUMED, 1, BOOT).group(1))).isEqualTo(last.newest());
            activatedConsole.awaitRecord(last.newest() + 1, WRITING);
        }
    }

    /** Waits for fresh records, then runs a round toward NEXT into SINK, which must fail with TYPE. */
    private void roundFails(String next, ClusterSink sink, Class<? extends IOException> type) throws Exception {
        console.awaitRecord(console.lastRecord() + RECORDS_PER_ROUND, WRITING);
        assertThatThrownBy(() -> capture.run(
                new LiveCapture.Request(vm, checkpoint, next, CLUSTER, Map.of("vda", sink), Set.of())))
                .isInstanceOf(type);
    }

    /** Waits for fresh records, then runs one round toward a new checkpoint. */
    private LiveCapture.Round round() throws Exception {
        return round(LiveCapture.PREFIX + "it-" + (rounds + 1));
    }

    private LiveCapture.Round round(String next) throws Exception {
        if (!hypervisor.state(vm).orElseThrow().equals(PowerState.PAUSED)) {
            console.awaitRecord(console.lastRecord() + RECORDS_PER_ROUND, WRITING);
        }
        long announced = console.lastRecord();
        rounds++;
        Path deltaFile = work.resolve("round-" + rounds + ".delta");
        byte[] baseManifest = CaptureDelta.manifest(CLUSTER, DISK, hashes);
        LiveCapture.Round round;
        CaptureDelta.Result result;
        try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(deltaFile), 1 << 20)) {
            CaptureDelta delta = new CaptureDelta(
                    new DeltaWriter(out, DeltaHeader.of(CLUSTER, DISK, DISK, false, baseManifest)), hashes);
            round = capture.run(new LiveCapture.Request(vm, checkpoint, next, CLUSTER, Map.of("vda", delta), Set.of()));
            result = delta.finish();
        }
        applyToRaw(deltaFile, replica, baseManifest);
        hashes = result.hashes();
        checkpoint = Optional.of(round.checkpoint());

        // Cleaned up: no checkpoint libvirt knows (Nova could not undefine the domain), no scratch file.
        assertThat(capture.checkpoints(vm)).isEmpty();
        try (Stream<Path> left = Files.list(scratch)) {
            assertThat(left).as("scratch files left").isEmpty();
        }
        // A point-in-time copy that holds at least every record announced before the round began.
        TinyGuest.Verdict verdict = guest.judge(replica);
        assertThat(verdict.problem()).as("replica after round %d", rounds).isEmpty();
        assertThat(verdict.newest()).isGreaterThanOrEqualTo(announced);
        assertThat(CaptureDelta.manifest(CLUSTER, DISK, hashesOf(replica))).isEqualTo(result.manifest());

        LiveCapture.DiskRound d = round.disks().get(0);
        report.add(String.format("round %d %-11s reported %5.2f MiB, read %5.2f MiB (%d clusters, %d known zero),"
                        + " new %4d clusters (%5.2f MiB), zeroed %d, delta %5.2f MiB;"
                        + " begin %4d ms, read %4d ms, end %4d ms, total %4d ms; newest record %d",
                rounds, round.full() ? "full" : "incremental", mib(d.reportedBytes()), mib(d.readBytes()),
                d.clustersRead(), d.zeroClusters(),
                result.stats().newClusters(), mib(result.stats().payloadBytes()), result.stats().zeroClusters(),
                mib(Files.size(deltaFile)), round.begin().toMillis(), round.read().toMillis(), round.end().toMillis(),
                round.total().toMillis(), verdict.newest()));
        Files.delete(deltaFile);
        return round;
    }

    /** A round's sink that, at its first cluster, destroys and undefines the domain as Nova's hard reboot does. */
    private final class NovaRebootsMidRound implements ClusterSink {
        private List<String> checkpointsWhileReading;
        private Exception undefineFailure;

        @Override
        public void data(long cluster, ByteBuffer bytes) throws IOException {
            if (checkpointsWhileReading != null) {
                return;
            }
            checkpointsWhileReading = capture.checkpoints(vm);
            hypervisor.destroy(vm);
            try {
                hypervisor.domain(vm).undefine(NOVA_UNDEFINE);
            } catch (Exception e) {
                undefineFailure = e;
            }
        }

        @Override
        public void zeros(long first, long count) {}
    }

    /**
     * A round's sink that, at its first cluster, has another thread bar the VM (as a hold does) and
     * waits until libvirt shows the backup job gone: the round's next read then fails.
     */
    private final class BarsMidRound implements ClusterSink {
        private Thread barring;
        private Exception failure;
        private long tookMillis;

        @Override
        public void data(long cluster, ByteBuffer bytes) throws IOException {
            if (barring != null) {
                return;
            }
            barring = new Thread(() -> {
                long t0 = System.nanoTime();
                try {
                    capture.bar(vm, Duration.ofSeconds(30));
                } catch (Exception e) {
                    failure = e;
                }
                tookMillis = (System.nanoTime() - t0) / 1_000_000;
            });
            barring.start();
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            try {
                while (hypervisor.domain(vm).getJobInfo().getType() != 0) {
                    assertThat(System.nanoTime()).as("the backup job aborted by the bar").isLessThan(deadline);
                    Thread.sleep(10);
                }
            } catch (org.libvirt.LibvirtException | InterruptedException e) {
                throw new IOException(e);
            }
        }

        @Override
        public void zeros(long first, long count) {}
    }

    /** Destroys, undefines as Nova does, and starts the domain again; waits until it writes. */
    private void redefine(int boot) throws Exception {
        hypervisor.destroy(vm);
        hypervisor.domain(vm).undefine(NOVA_UNDEFINE);
        hypervisor.defineAndStart(spec);
        assertThat(capture.checkpoints(vm)).isEmpty();
        long resumed = Long.parseLong(console.await(RESUMED, boot, BOOT).group(1));
        // The guest goes on after the newest record its disk holds: none was lost.
        assertThat(resumed).isGreaterThanOrEqualTo(guest.judge(replica).newest());
    }

    /** kill -9 of the guest's QEMU, as a host's crash would end it; returns once libvirt sees it stopped. */
    private void killQemu() throws Exception {
        String name = spec.name();
        long pid = Long.parseLong(Files.readString(Path.of("/run/libvirt/qemu/" + name + ".pid")).trim());
        ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (!hypervisor.state(vm).orElseThrow().stopped()) {
            assertThat(System.nanoTime()).as("libvirt sees the killed QEMU stopped").isLessThan(deadline);
            Thread.sleep(50);
        }
    }

    /** Applies a delta to a raw image in place, after checking it was made against what the image holds. */
    private static void applyToRaw(Path delta, Path raw, byte[] expectedBase) throws IOException {
        try (InputStream in = new BufferedInputStream(Files.newInputStream(delta), 1 << 20);
                FileChannel ch = FileChannel.open(raw, StandardOpenOption.WRITE)) {
            DeltaReader reader = DeltaReader.open(in);
            assertThat(reader.header().baseManifest()).hasValueSatisfying(m -> assertThat(m).isEqualTo(expectedBase));
            int clusterSize = reader.header().clusterSize();
            ByteBuffer zeros = ByteBuffer.allocate(clusterSize);
            reader.readAll(new DeltaReader.Sink() {
                @Override
                public void data(long cluster, ByteBuffer payload, byte[] sha256) throws IOException {
                    writeFully(ch, payload, cluster * clusterSize);
                }

                @Override
                public void zeros(long first, long count) throws IOException {
                    for (long c = first; c < first + count; c++) {
                        writeFully(ch, zeros.clear().limit(reader.header().clusterLength(c)), c * clusterSize);
                    }
                }
            });
            ch.force(true);
        }
    }

    private static void writeFully(FileChannel ch, ByteBuffer b, long at) throws IOException {
        for (long pos = at; b.hasRemaining(); ) {
            pos += ch.write(b, pos);
        }
    }

    /** Index to SHA-256 of every cluster of a raw image that is not all zeros. */
    private static NavigableMap<Long, byte[]> hashesOf(Path raw) throws Exception {
        NavigableMap<Long, byte[]> m = new TreeMap<>();
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        byte[] zero = new byte[CLUSTER];
        try (FileChannel ch = FileChannel.open(raw, StandardOpenOption.READ)) {
            ByteBuffer b = ByteBuffer.allocate(CLUSTER);
            for (long c = 0; c * CLUSTER < DISK; c++) {
                b.clear();
                while (b.hasRemaining()) {
                    if (ch.read(b, c * CLUSTER + b.position()) < 0) {
                        throw new IOException(raw + " is shorter than " + DISK + " bytes");
                    }
                }
                if (!Arrays.equals(b.array(), zero)) {
                    m.put(c, sha.digest(b.array()));
                }
            }
        }
        return m;
    }

    private static double mib(long bytes) {
        return bytes / 1048576.0;
    }
}
