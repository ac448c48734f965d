package io.understudy.agent.rejoin;

import static org.assertj.core.api.Assertions.assertThat;

import io.understudy.agent.api.Preserved;
import io.understudy.agent.api.PrimaryStatus;
import io.understudy.agent.api.Role;
import io.understudy.agent.libvirt.ConsoleLog;
import io.understudy.agent.libvirt.Hypervisor;
import io.understudy.agent.libvirt.TinyGuest;
import io.understudy.agent.testing.Agents;
import io.understudy.agent.testing.Qemu;
import io.understudy.agent.testing.RawClusters;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The old primary comes back, with a real guest and real replication rounds: the tiny TCG guest
 * writes records on compute1, whose rounds reach compute2; compute1 then fails mid-write (the
 * domain is killed, no last round), so its disk holds records compute2 never received. compute2
 * stages its replica and boots the guest from it, and its rounds go on, more than its journal of
 * deltas keeps; compute1's agent comes back, preserves the disk, which is then deleted as
 * nova-compute would; meanwhile compute2's rounds find compute1 rebuilding (503) and wait rather
 * than seed it. Assigned as compute2's secondary, compute1 rolls back to compute2's starting
 * version, fetching only the diverged clusters; compute2 then sends it what changed since that
 * version, read in one whole-disk round: at the end its replica equals the guest's disk.
 *
 * <p>Needs root and libvirtd ({@code devstack/libvirt.sh up}; bin/test-all runs it).
 */
class RejoinGuestIT {

    private static final int SLOTS = 128;
    private static final int STRIDE = 65536;
    private static final int CLUSTER = 65536;
    /** Versions whose deltas a primary keeps (the replication package's journal). */
    private static final int JOURNAL = 20;
    private static final String TOKEN = "rejoin-guest-it-cluster-token";
    private static final Duration BOOT = Duration.ofMinutes(4);
    private static final Duration WRITING = Duration.ofMinutes(3);
    private static final Pattern RESUMED = Pattern.compile("^understudy-guest resume (\\d+)\\r?\\n", Pattern.MULTILINE);
    private static final Pattern RECEIVED = Pattern.compile(
            "^understudy_delta_payload_received_bytes_total ([0-9.E]+)$", Pattern.MULTILINE);

    private final List<AutoCloseable> closing = new ArrayList<>();
    private final UUID vm = UUID.randomUUID();
    private Hypervisor hypervisor;
    private TinyGuest guest;
    private Path work;
    private Agents agents;

    @BeforeEach
    void setUp() throws Exception {
        hypervisor = TinyGuest.systemHypervisor();
        guest = TinyGuest.build(SLOTS, STRIDE);
        work = TinyGuest.workDir("understudy-rejoin-it");
        Files.writeString(work.resolve("token"), TOKEN);
        agents = new Agents(work, "qemu:///system", work.resolve("token"));
        for (String host : List.of("compute1", "compute2")) {
            agents.start(host);
            // QEMU reaches the disks under each host's folder.
            for (Path p = agents.instances(host); !p.equals(work); p = p.getParent()) {
                Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwxr-xr-x"));
            }
        }
    }

    @AfterEach
    void tearDown() throws Exception {
        hypervisor.destroy(vm);
        hypervisor.undefine(vm);
        agents.close();
        for (AutoCloseable c : closing) {
            c.close();
        }
        hypervisor.close();
        deleteTree(work);
    }

    @Test
    void anOldPrimaryWithDivergedWritesRejoinsByItsDivergedClustersAndEndsEqual() throws Exception {
        Path instance1 = Files.createDirectories(agents.instances("compute1").resolve(vm.toString()));
        Files.setPosixFilePermissions(instance1, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path disk1 = instance1.resolve("disk");
        Qemu.img("create", "-q", "-f", "qcow2", "-o", "compat=1.1", disk1.toString(), "64M");
        ConsoleLog console1 = boot(disk1, "compute1");
        agents.protect("compute2", vm, Role.SECONDARY, "compute1");
        agents.protect("compute1", vm, Role.PRIMARY, "compute2");
        round("compute1", console1);
        // Past one lap of the guest's slots, so that what it writes next overwrites data compute2 holds.
        console1.awaitRecord(SLOTS + 10, WRITING);
        long common = round("compute1", console1).version();

        // compute1 fails mid-write: the guest goes on for a while after the last round, then dies.
        console1.awaitRecord(console1.lastRecord() + 20, WRITING);
        hypervisor.destroy(vm);
        hypervisor.undefine(vm);
        agents.stop("compute1");

        // compute2 takes over: its replica staged as the instance's disk, the guest booted from it.
        Path disk2 = Path.of(agents.client("compute2").stage(vm).disk());
        Files.setPosixFilePermissions(disk2.getParent(), PosixFilePermissions.fromString("rwxr-xr-x"));
        Path startVersion = work.resolve("start.qcow2");
        Qemu.img("convert", "-O", "qcow2", disk2.toString(), startVersion.toString());
        agents.protect("compute2", vm, Role.PRIMARY, "compute1");
        ConsoleLog console2 = boot(disk2, "compute2");
        // compute1 stays away longer than compute2's deltas reach back: a journal cannot bring it up.
        for (int i = 0; i <= JOURNAL; i++) {
            agents.client("compute2").sync(vm);
        }

        // compute1's agent starts first, then nova-compute deletes the instance's files.
        agents.start("compute1");
        assertThat(agents.client("compute1").preserved(vm).state()).isEqualTo(Preserved.State.PRESERVED);
        deleteTree(instance1);
        Path preserved = agents.dataDir("compute1").resolve("preserved").resolve(vm.toString()).resolve("disk");
        long diverged = RawClusters.differing(preserved, startVersion, CLUSTER);
        assertThat(diverged).as("clusters compute1 wrote after the last round reached compute2").isPositive();

        // compute2's rounds meanwhile: compute1 answers 503 and is left alone, never seeded.
        PrimaryStatus waiting = round("compute2", console2);
        assertThat(waiting.secondaries()).singleElement().satisfies(s -> {
            assertThat(s.needsSeed()).isFalse();
            assertThat(s.lastError()).contains("503");
        });

        agents.protect("compute1", vm, Role.SECONDARY, "compute2");
        Preserved rejoined = agents.settled("compute1", vm, Duration.ofMinutes(2));
        assertThat(rejoined.state()).as(String.valueOf(rejoined.lastError())).isEqualTo(Preserved.State.REJOINED);
        Preserved.Rejoined r = rejoined.rejoined();
        assertThat(r.version()).isEqualTo(common);
        assertThat(r.divergedClusters()).isEqualTo(diverged);

        // compute2's next round finds compute1 at its starting version, which its deltas no longer reach
        // back to, and owes it what changed since; the round after (the hand-over point: the guest
        // paused) reads the whole disk and sends compute1 only the clusters that differ from there.
        PrimaryStatus owed = round("compute2", console2);
        assertThat(owed.secondaries()).singleElement().satisfies(s -> {
            assertThat(s.version()).isEqualTo(common);
            assertThat(s.needsSeed()).isTrue();
        });
        hypervisor.pause(vm);
        double before = received("compute1");
        PrimaryStatus last = agents.client("compute2").sync(vm);
        hypervisor.destroy(vm);
        double catchUp = received("compute1") - before;
        long writtenSince = RawClusters.differing(startVersion, disk2, CLUSTER);
        assertThat(last.secondaries()).singleElement().satisfies(s -> {
            assertThat(s.version()).isEqualTo(last.version());
            assertThat(s.needsSeed()).isFalse();
            assertThat(s.lastError()).isNull();
        });
        assertThat(agents.client("compute1").replica(vm).version()).isEqualTo(last.version());
        Path staged = Path.of(agents.client("compute1").stage(vm).disk());
        assertThat(Qemu.identical(staged, disk2)).as("compute1's replica equals the guest's disk").isTrue();

        long divergedBytes = diverged * CLUSTER;
        System.out.printf("rejoin with a guest: %d clusters diverged (%d bytes): %d bytes of data fetched, %d bytes on "
                + "the wire (%.4f of the diverged bytes), in %.3f s; then %.0f bytes of data from the start version to "
                + "version %d, where %d clusters (%d bytes) changed (%.4f)%n", diverged, divergedBytes,
                r.payloadBytes(), r.wireBytes(), (double) r.wireBytes() / divergedBytes, r.seconds(), catchUp,
                last.version(), writtenSince, writtenSince * CLUSTER, catchUp / (writtenSince * CLUSTER));
        assertThat(r.payloadBytes()).isLessThanOrEqualTo(divergedBytes);
        assertThat(r.wireBytes()).isLessThanOrEqualTo((long) (1.05 * divergedBytes));
        assertThat(catchUp).as("what changed since the start version, not a seed of the whole disk")
                .isPositive().isLessThanOrEqualTo(1.05 * writtenSince * CLUSTER);
    }

    private ConsoleLog boot(Path disk, String host) throws Exception {
        Path log = work.resolve(host + ".console.log");
        ConsoleLog console = new ConsoleLog(log);
        closing.add(console);
        hypervisor.defineAndStart(guest.spec("understudy-rej-" + vm.toString().substring(0, 8), vm, disk, log, "0.02"));
        console.await(RESUMED, 1, BOOT);
        return console;
    }

    /** Lets the guest write a few records, then runs a round on {@code host}. */
    private PrimaryStatus round(String host, ConsoleLog console) throws Exception {
        console.awaitRecord(console.lastRecord() + 20, WRITING);
        PrimaryStatus s = agents.client(host).sync(vm);
        assertThat(s.lastError()).isNull();
        return s;
    }

    /** Data bytes of the deltas {@code host} received since its agent started, from its metrics. */
    private double received(String host) throws Exception {
        URI metrics = agents.agent(host).url().resolve("/metrics");
        String text = HttpClient.newHttpClient().send(HttpRequest.newBuilder(metrics)
                .header("Authorization", "Bearer " + TOKEN).build(), HttpResponse.BodyHandlers.ofString()).body();
        Matcher m = RECEIVED.matcher(text);
        return m.find() ? Double.parseDouble(m.group(1)) : 0;
    }

    private static void deleteTree(Path dir) throws IOException {
        try (Stream<Path> all = Files.walk(dir)) {
            for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
