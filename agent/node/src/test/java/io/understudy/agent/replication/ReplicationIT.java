package io.understudy.agent.replication;

import static org.assertj.core.api.Assertions.assertThat;

import io.understudy.agent.api.AgentClient;
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
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Three agents on 127.0.0.1 (each its own data directory and port, as three compute nodes) replicate
 * a real running guest: the tiny TCG guest under libvirtd keeps writing numbered records to its
 * disk on compute1 while compute1's rounds stream each version to compute2 and compute3. compute3
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
        Path disk = work.resolve("compute1/instances/disk.qcow2");
        Qemu.img("create", "-q", "-f", "qcow2", "-o", "compat=1.1", disk.toString(), "64M");
        Path log = work.resolve("console.log");
        ConsoleLog console = new ConsoleLog(log);
        closing.add(console);
        hypervisor.defineAndStart(guest.spec("understudy-rep-" + vm.toString().substring(0, 8), vm, disk, log, "0.02"));
        domains.add(vm);
        console.await(RESUMED, 1, BOOT);

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
        assertThat(first.secondaries()).extracting(PrimaryStatus.SecondaryStatus::version).containsOnly(first.version());
        for (int i = 0; i < 2; i++) {
            PrimaryStatus s = round(primary, vm, console);
            assertThat(s.lastRoundFull()).isFalse();
            assertThat(replicaVersion("compute2", vm)).isEqualTo(s.version());
        }

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

    private long replicaVersion(String host, UUID vm) throws IOException {
        return client(host).replica(vm).version();
    }

    private Path replicaTop(String host, UUID vm) throws IOException {
        ReplicaStore store = new ReplicaStore(work.resolve(host).resolve("agent/replicas"), Clock.systemUTC());
        return store.get(vm).orElseThrow().top();
    }
}
