package io.understudy.agent.replication;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.understudy.agent.api.AgentClient;
import io.understudy.agent.api.AgentException;
import io.understudy.agent.api.Hold;
import io.understudy.agent.api.Peer;
import io.understudy.agent.api.PrimaryStatus;
import io.understudy.agent.api.Protection;
import io.understudy.agent.api.ReplicaInfo;
import io.understudy.agent.api.Role;
import io.understudy.agent.api.StageResult;
import io.understudy.agent.libvirt.ConsoleLog;
import io.understudy.agent.libvirt.Hypervisor;
import io.understudy.agent.libvirt.TinyGuest;
import io.understudy.agent.replica.ReplicaStore;
import io.understudy.agent.testing.Qemu;
import io.understudy.agent.testing.TestAgent;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Three agents on 127.0.0.1 (each its own data directory and port, as three compute nodes) replicate
 * a real running guest: the tiny TCG guest under libvirtd keeps writing numbered records to its
 * disk on compute1 while compute1's rounds stream each version to compute2 and compute3. The disk
 * is an overlay of a base image in compute1's image cache, as Nova makes it; compute2's cache holds
 * the same image, so its replica starts from it and only what the guest wrote above it travels;
 * compute3's does not, and it gets a seed of the whole disk. compute3
 * is stopped for a while and catches up from the primary's journal when it returns. At the end the
 * guest is paused, a last round taken, and both replicas must equal its disk; a replica, staged as
 * an instance disk, boots as a new domain and the guest finds its newest record there.
 *
 * <p>Needs root and libvirtd ({@code devstack/libvirt.sh up}; bin/test-all runs it).
 */
class ReplicationIT {

    private static final int SLOTS = 128;
    private static final int STRIDE = 65536;
    private static final String TOKEN = "replication-it-cluster-token";
    private static final Duration BOOT = Duration.ofMinutes(4);
    private static final Duration WRITING = Duration.ofMinutes(3);
    /** Data in the base image, away from the records the guest writes from the disk's start. */
    private static final long BASE_DATA = 24L << 20;
    private static final String IMAGE = "0a4c3d8e5b6f7a8192a3b4c5d6e7f8091a2b3c4d";
    private static final Pattern PAYLOAD = Pattern.compile(
            "^understudy_delta_payload_received_bytes_total (\\S+)$", Pattern.MULTILINE);
    private static final Pattern RESUMED = Pattern.compile("^understudy-guest resume (\\d+)\\r?\\n", Pattern.MULTILINE);

    private final Map<String, TestAgent> servers = new HashMap<>();
    private final Map<String, URI> urls = new HashMap<>();
    private final List<UUID> domains = new ArrayList<>();
    private final List<AutoCloseable> closing = new ArrayList<>();
    private Hypervisor hypervisor;
    private Path work;
    private TinyGuest guest;

    @BeforeEach
    void setUp() throws Exception {
        hypervisor = TinyGuest.systemHypervisor();
        guest = TinyGuest.build(SLOTS, STRIDE);
        work = TinyGuest.workDir("understudy-replication-it");
        Files.writeString(work.resolve("token"), TOKEN);
        for (String host : List.of("compute1", "compute2", "compute3")) {
            start(host);
        }
    }

    @AfterEach
    void tearDown() throws Exception {
        for (UUID d : domains) {
            hypervisor.destroy(d);
            hypervisor.undefine(d);
        }
        for (TestAgent agent : servers.values()) {
            agent.close();
        }
        for (AutoCloseable c : closing) {
            c.close();
        }
        hypervisor.close();
        try (Stream<Path> all = Files.walk(work)) {
            for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    /** Starts (or restarts, on its old data and port) the agent of {@code host}. */
    private void start(String host) throws IOException {
        Path data = work.resolve(host);
        int port = urls.containsKey(host) ? urls.get(host).getPort() : 0;
        TestAgent agent = TestAgent.start(host, data.resolve("agent"), data.resolve("instances"), "qemu:///system",
                work.resolve("token"), port, null);
        servers.put(host, agent);
        urls.put(host, agent.url());
    }

    private AgentClient client(String host) {
        return new AgentClient(urls.get(host), TOKEN, null, Duration.ofSeconds(30));
    }

    @Test
    void threeAgentsReplicateARunningGuestAndAReplicaBoots() throws Exception {
        UUID vm = UUID.randomUUID();
        Path image = Files.createDirectories(work.resolve("compute1/instances/_base")).resolve(IMAGE);
        Qemu.img("create", "-q", "-f", "raw", image.toString(), "48M");
        Qemu.ioAs("raw", image, "write -P 0x5a 16M " + BASE_DATA);
        Files.copy(image, Files.createDirectories(work.resolve("compute2/instances/_base")).resolve(IMAGE));
        Path disk = work.resolve("compute1/instances/disk.qcow2");
        Qemu.img("create", "-q", "-f", "qcow2", "-o", "compat=1.1", "-b", image.toString(), "-F", "raw",
                disk.toString(), "64M");
        Path log = work.resolve("console.log");
        ConsoleLog console = new ConsoleLog(log);
        closing.add(console);
        hypervisor.defineAndStart(guest.spec("understudy-rep-" + vm.toString().substring(0, 8), vm, disk, log, "0.02"));
        domains.add(vm);
        console.await(RESUMED, 1, BOOT);

        // These agents share one libvirtd, so compute2 sees compute1's domain. Told it is primary, as an
        // agent restarted after its VM moved away still believes, it must leave that domain alone.
        client("compute2").protect(new Protection(vm, Role.PRIMARY, List.of(new Peer("compute3", urls.get("compute3"))),
                Duration.ofHours(1)));
        assertThatThrownBy(() -> client("compute2").sync(vm)).isInstanceOf(AgentException.class)
                .hasMessageContaining("its disk " + disk + " is not in this node's instances path");
        assertThat(Qemu.ok("virsh", "-c", "qemu:///system", "checkpoint-list", vm.toString(), "--name").strip())
                .as("checkpoints on the domain").isEmpty();

        for (String secondary : List.of("compute2", "compute3")) {
            client(secondary).protect(new Protection(vm, Role.SECONDARY,
                    List.of(new Peer("compute1", urls.get("compute1"))), Duration.ofSeconds(2)));
        }
        // An interval long enough that the explicit rounds below are the ones that count.
        client("compute1").protect(new Protection(vm, Role.PRIMARY, List.of(
                new Peer("compute2", urls.get("compute2")), new Peer("compute3", urls.get("compute3"))),
                Duration.ofHours(1)));

        AgentClient primary = client("compute1");
        PrimaryStatus first = round(primary, vm, console);
        assertThat(first.lastRoundFull()).isTrue();
        assertThat(first.baseImage()).isEqualTo(IMAGE);
        assertThat(first.unreplicatedDisks()).isEmpty();
        // compute2 started from its copy of the image: the guest's records came, not the image's data.
        assertThat(secondary(first, "compute2").version()).isEqualTo(first.version());
        assertThat(received("compute2")).isPositive().isLessThan(BASE_DATA / 2);
        // compute3 holds no such image: the next round makes it a seed of the whole disk.
        assertThat(secondary(first, "compute3")).satisfies(s -> {
            assertThat(s.version()).isZero();
            assertThat(s.needsSeed()).isTrue();
            assertThat(s.lastError()).contains("no base image " + IMAGE);
        });
        PrimaryStatus seeded = round(primary, vm, console);
        assertThat(seeded.lastRoundFull()).isTrue();
        assertThat(seeded.secondaries()).extracting(PrimaryStatus.SecondaryStatus::version)
                .containsOnly(seeded.version());
        assertThat(received("compute3")).isGreaterThan(BASE_DATA);
        PrimaryStatus incremental = round(primary, vm, console);
        assertThat(incremental.lastRoundFull()).isFalse();
        assertThat(replicaVersion("compute2", vm)).isEqualTo(incremental.version());

        // compute3 goes away for two rounds; compute2 keeps up; compute3 catches up when it is back.
        servers.remove("compute3").close();
        PrimaryStatus without = round(primary, vm, console);
        round(primary, vm, console);
        assertThat(without.secondaries()).filteredOn(s -> s.host().equals("compute3"))
                .singleElement().satisfies(s -> assertThat(s.lastError()).contains("unreachable"));
        start("compute3");
        PrimaryStatus back = round(primary, vm, console);
        assertThat(back.secondaries()).allSatisfy(s -> {
            assertThat(s.version()).isEqualTo(back.version());
            assertThat(s.lastError()).isNull();
        });

        // Before Nova live-migrates the VM: a last round, then none until released, even at a
        // 1 s interval (a round's backup job would fail Nova's migration); a round asked meanwhile
        // is refused. A hold whose lease runs out ends by itself.
        List<Peer> peers = List.of(new Peer("compute2", urls.get("compute2")), new Peer("compute3", urls.get("compute3")));
        primary.protect(new Protection(vm, Role.PRIMARY, peers, Duration.ofSeconds(1)));
        PrimaryStatus held = primary.hold(vm, new Hold(Duration.ofMinutes(5), true));
        assertThat(held.version()).isGreaterThan(back.version());
        console.awaitRecord(console.lastRecord() + 150, WRITING);
        assertThat(status(primary, vm).version()).as("no round while held").isEqualTo(held.version());
        assertThatThrownBy(() -> primary.sync(vm)).isInstanceOfSatisfying(AgentException.class,
                e -> assertThat(e.status()).isEqualTo(409)).hasMessageContaining("held until");
        primary.release(vm);
        PrimaryStatus released = awaitVersionAbove(primary, vm, held.version());
        primary.hold(vm, new Hold(Duration.ofSeconds(2), false));
        long expiring = status(primary, vm).version();
        awaitVersionAbove(primary, vm, expiring);
        assertThat(released.lastError()).isNull();
        primary.protect(new Protection(vm, Role.PRIMARY, peers, Duration.ofHours(1)));

        // Nova begins a live snapshot on this host (its folder in the snapshots folder): no round
        // begins for 10 s, since Nova's block copy that follows fails if a backup holds the disk.
        Path snapshot = Files.createDirectories(work.resolve("compute1/instances/snapshots/tmpq1x2"));
        assertThatThrownBy(() -> primary.sync(vm)).isInstanceOfSatisfying(AgentException.class,
                e -> assertThat(e.status()).isEqualTo(409)).hasMessageContaining("Nova began a snapshot on this host");
        long before = status(primary, vm).version();
        Files.setLastModifiedTime(snapshot, FileTime.from(Instant.now().minusSeconds(11)));
        assertThat(round(primary, vm, console).version()).as("a round once the snapshot's folder is 11 s old")
                .isEqualTo(before + 1);

        // The hand-over: pause, a last round; both replicas now equal the disk.
        hypervisor.pause(vm);
        PrimaryStatus last = primary.sync(vm);
        hypervisor.destroy(vm);
        for (String secondary : List.of("compute2", "compute3")) {
            ReplicaInfo info = client(secondary).replica(vm);
            assertThat(info.version()).isEqualTo(last.version());
            Path top = replicaTop(secondary, vm);
            assertThat(Qemu.identical(top, disk)).as("%s's replica equals the disk", secondary).isTrue();
            assertThat(Qemu.check(top).path("corruptions").asLong(0)).isZero();
        }

        // Activation without Nova: compute2 stages its replica as an instance disk; a new domain boots it.
        StageResult staged = client("compute2").stage(vm);
        Path raw = work.resolve("replica.raw");
        Qemu.img("convert", "-O", "raw", staged.disk(), raw.toString());
        TinyGuest.Verdict verdict = guest.judge(raw);
        assertThat(verdict.problem()).isEmpty();
        assertThat(verdict.newest()).isGreaterThanOrEqualTo(console.lastRecord());
        Files.setPosixFilePermissions(Path.of(staged.disk()).getParent(), PosixFilePermissions.fromString("rwxr-xr-x"));
        UUID booted = UUID.randomUUID();
        Path bootLog = work.resolve("booted.console.log");
        try (ConsoleLog bootConsole = new ConsoleLog(bootLog)) {
            hypervisor.defineAndStart(guest.spec("understudy-rep-" + booted.toString().substring(0, 8), booted,
                    Path.of(staged.disk()), bootLog, "0.02"));
            domains.add(booted);
            assertThat(Long.parseLong(bootConsole.await(RESUMED, 1, BOOT).group(1))).isEqualTo(verdict.newest());
            bootConsole.awaitRecord(verdict.newest() + 1, WRITING);
        }
    }

    /** Lets the guest write a few records, then runs a round on the primary. */
    private static PrimaryStatus round(AgentClient primary, UUID vm, ConsoleLog console) throws Exception {
        console.awaitRecord(console.lastRecord() + 20, WRITING);
        long t0 = System.nanoTime();
        PrimaryStatus s = primary.sync(vm);
        double total = (System.nanoTime() - t0) / 1e9;
        assertThat(s.lastError()).isNull();
        // Capture, commit and both secondaries durable: the part of the RPO beyond the interval.
        System.out.printf("round %d: %s, capture %.3f s, durable on both secondaries after %.3f s%n", s.version(),
                s.lastRoundFull() ? "full" : "incremental", s.lastRoundSeconds(), total);
        return s;
    }

    private static PrimaryStatus status(AgentClient primary, UUID vm) throws IOException {
        return primary.primaries().stream().filter(s -> s.vm().equals(vm)).findFirst().orElseThrow();
    }

    /** Waits (at most a minute) until the VM's rounds made a version past {@code version}. */
    private static PrimaryStatus awaitVersionAbove(AgentClient primary, UUID vm, long version) throws Exception {
        long deadline = System.nanoTime() + Duration.ofMinutes(1).toNanos();
        PrimaryStatus s = status(primary, vm);
        while (s.version() <= version) {
            assertThat(System.nanoTime()).as("a round after version %d", version).isLessThan(deadline);
            Thread.sleep(200);
            s = status(primary, vm);
        }
        return s;
    }

    private static PrimaryStatus.SecondaryStatus secondary(PrimaryStatus status, String host) {
        return status.secondaries().stream().filter(s -> s.host().equals(host)).findFirst().orElseThrow();
    }

    /** The delta payload bytes {@code host} has received, from its metrics. */
    private long received(String host) throws Exception {
        String text = HttpClient.newHttpClient().send(HttpRequest.newBuilder(urls.get(host).resolve("/metrics"))
                .header("Authorization", "Bearer " + TOKEN).build(), HttpResponse.BodyHandlers.ofString()).body();
        Matcher m = PAYLOAD.matcher(text);
        assertThat(m.find()).as("%s's metrics show the payload received:%n%s", host, text).isTrue();
        return (long) Double.parseDouble(m.group(1));
    }

    private long replicaVersion(String host, UUID vm) throws IOException {
        return client(host).replica(vm).version();
    }

    private Path replicaTop(String host, UUID vm) throws IOException {
        ReplicaStore store = new ReplicaStore(work.resolve(host).resolve("agent/replicas"), Clock.systemUTC());
        return store.get(vm).orElseThrow().top();
    }
}
