package io.understudy.scheduler.cloudit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.understudy.agent.api.Role;
import io.understudy.nova.state.ComputeService;
import io.understudy.nova.state.ComputeServices;
import io.understudy.nova.state.Migrations;
import io.understudy.nova.state.Server;
import io.understudy.scheduler.cli.Main;
import io.understudy.scheduler.detect.HostState;
import io.understudy.scheduler.history.DecisionRecord;
import io.understudy.scheduler.history.RoundRecord;
import io.understudy.scheduler.moves.MoveKind;
import io.understudy.scheduler.moves.MoveState;
import io.understudy.scheduler.moves.Step;
import io.understudy.scheduler.testing.AgentDaemons;
import io.understudy.scheduler.testing.SeedDelta;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.http.HttpRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The failover's refusals and holds (issue 9), on the single-machine cloud's fake-driver computes
 * with Nova's default service_down_time (60 s) and a 2 s report_interval: a controller served as
 * operators run it ({@code understudy serve}: failure detection, Quartz's rounds, the moves'
 * journal), a real agent daemon per compute host. An agent silent while its nova-compute reports
 * only makes its host suspect and nothing moves; a fence that fails blocks the failover until an
 * operator confirms the host is off. Never two running copies: Nova shows the VM on one host, and
 * one agent at most is its primary.
 *
 * <p>The failover itself, the failed host's return and the RTO benchmark run on the libvirt
 * computes with a real guest Nova boots (RealMovesCloudIT, DemoCloudIT). Here the fake driver runs
 * no guest: the replicas are deltas of disks made with qemu-img and qemu-io, sent over the agents'
 * API as a primary's rounds would send them, which is all these holds need.
 */
class FailoverCloudIT {

    private static final List<String> HOSTS = List.of("compute1", "compute2", "compute3");
    private static final Duration STEP = Duration.ofSeconds(120);
    private static final Duration POLL = Duration.ofMillis(100);
    /**
     * Between the test's own reads of Nova. Its API runs one worker on this 2-core machine: reads
     * every 100 ms loaded it enough to slow the very failovers being timed (which are timed by the
     * controller's journal, not by these reads).
     */
    private static final Duration NOVA_POLL = Duration.ofSeconds(1);
    private static final int MIB = 1 << 20;

    private static Cloud cloud;

    @TempDir
    Path dir;

    private AgentDaemons agents;
    private ServedController controller;
    private UUID server;

    @BeforeAll
    static void connect() {
        cloud = new Cloud();
    }

    @BeforeEach
    void start() throws Exception {
        agents = cloud.startClean(HOSTS, dir);
    }

    @AfterEach
    void stop() throws Exception {
        try {
            if (controller != null) {
                controller.close();
            }
        } finally {
            cloud.cleanUp(HOSTS, agents, server);
        }
    }

    @Test
    void anAgentSilentWhileItsNovaComputeReportsMakesItsHostSuspectAndNothingMoves() throws Exception {
        server = bootProtectedOn("compute1");
        controller = serve(processFence());
        awaitEveryHostOk();

        Instant silenced = Instant.now();
        agents.kill("compute1");

        await("compute1 suspect").atMost(STEP).pollInterval(POLL)
                .until(() -> controller.state("compute1") == HostState.SUSPECT);
        // Long enough for detection to have called it FAILED many times over, and for several rounds.
        await("compute1 suspect, nothing fenced, nothing moved").during(Duration.ofSeconds(10))
                .atMost(Duration.ofSeconds(30)).pollInterval(POLL)
                .until(() -> controller.state("compute1") == HostState.SUSPECT && controller.endedMoves().isEmpty());

        assertThat(controller.detection().get("compute1").reason()).as("why it is only suspect")
                .contains("agent missed", "nova-compute reported");
        List<RoundRecord> since = controller.rounds().stream().filter(r -> r.startedAt().isAfter(silenced)).toList();
        assertThat(since).as("rounds ran while compute1 was suspect").hasSizeGreaterThanOrEqualTo(2);
        assertThat(since).flatExtracting(RoundRecord::decisions).filteredOn(d -> d.vm().equals(server))
                .extracting(DecisionRecord::outcome).isNotEmpty().doesNotContain("MOVE");
        assertThat(since).flatExtracting(RoundRecord::executions).isEmpty();
        assertThat(new Migrations(cloud.nova).ofServer(server)).isEmpty();
        ComputeService compute1 = new ComputeServices(cloud.nova).ofHost("compute1").orElseThrow();
        assertThat(compute1.up()).as("compute1's nova-compute was not fenced: it still reports").isTrue();
        assertThat(compute1.forcedDown()).isFalse();
        assertOneRunningCopyOn("compute1");
        System.out.println("figures: agent silent, nova-compute reporting: " + controller.detection().get("compute1"));
    }

    @Test
    void aFenceThatFailsBlocksTheFailoverUntilAnOperatorConfirmsTheHostIsOff() throws Exception {
        server = bootProtectedOn("compute1");
        controller = serve("{method: process, command: [/bin/sh, -c, 'echo no power switch answers for $0; exit 1',"
                + " \"{host}\"]}");
        awaitEveryHostOk();

        Instant failed = Instant.now();
        cloud.killCompute("compute1");
        agents.kill("compute1");
        String blocked = "failover of " + server + " compute1 -> ";
        await("a failover blocked at the fence").atMost(STEP).pollInterval(POLL).until(() ->
                controller.rounds().stream().flatMap(r -> r.executions().stream()).anyMatch(e -> e.contains(blocked)));

        String execution = controller.rounds().stream().flatMap(r -> r.executions().stream())
                .filter(e -> e.contains(blocked)).findFirst().orElseThrow();
        assertThat(execution).contains("STOPPED", "failover blocked: fence failed: process: '/bin/sh -c",
                "exited 1: no power switch answers for compute1");
        assertThat(controller.endedMoves()).isNotEmpty().allSatisfy(m -> assertThat(m.blocked()).isTrue());
        assertThat(new Migrations(cloud.nova).ofServer(server)).as("Nova was asked nothing").isEmpty();
        assertThat(new ComputeServices(cloud.nova).ofHost("compute1").orElseThrow().forcedDown()).isFalse();
        assertOneRunningCopyOn("compute1");

        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int exit = Main.run(new String[] {"fence", "confirm", "compute1", "--note", "pulled its power cords",
                "--config", controller.config.toString()}, new PrintWriter(out, true), new PrintWriter(err, true));
        assertThat(exit).as(out + "\n" + err).isZero();
        String target = awaitActiveAwayFrom("compute1");

        assertThat(controller.detection().get("compute1").state()).isEqualTo(HostState.FAILED);
        MoveState failover = awaitDone();
        assertThat(failover.fence()).get().satisfies(f -> assertThat(f.how())
                .contains("confirmed by hand", "pulled its power cords"));
        assertThat(new Migrations(cloud.nova).ofServer(server)).singleElement()
                .satisfies(m -> assertThat(m.isEvacuation()).isTrue());
        assertOneRunningCopyOn(target);
        System.out.println("figures: blocked, then confirmed by hand: " + timing(failover, failed,
                cloud.lastSeenUp("compute1").plus(cloud.serviceDownTime())));
    }

    /**
     * Boots a protected server on HOST; the agents get their parts, and each secondary two
     * versions of its disk: a seed, then the clusters a qemu-io session changed since (data
     * written, data overwritten, a cluster zeroed).
     */
    private UUID bootProtectedOn(String host) throws Exception {
        UUID vm = cloud.boot("failover", host, Map.of("understudy:protect", "true"));
        await(vm + " ACTIVE on " + host).atMost(STEP).until(() -> cloud.show(vm).settledOn(host));
        agents.protect(vm, host);
        Path first = disk("v1.qcow2", null, "write -P 0xa5 0 192k", "write -P 0x3c 512k 64k");
        Path lastReplicated = disk("v2.qcow2", first, "write -P 0x77 64k 64k", "write -z 512k 64k",
                "write -P 0x5e 960k 64k");
        byte[] v1 = raw(first);
        byte[] v2 = raw(lastReplicated);
        for (String secondary : HOSTS.stream().filter(h -> !h.equals(host)).toList()) {
            long now = System.currentTimeMillis();
            agents.client(secondary).sendDelta(vm, HttpRequest.BodyPublishers.ofByteArray(
                    SeedDelta.between(vm, new byte[MIB], v1, 0, 1, now)));
            assertThat(agents.client(secondary).sendDelta(vm, HttpRequest.BodyPublishers.ofByteArray(
                    SeedDelta.between(vm, v1, v2, 1, 2, now))).version()).as(secondary).isEqualTo(2);
        }
        return vm;
    }

    /** A 1 MiB qcow2 (over BACKING when given) with qemu-io's WRITES. */
    private Path disk(String name, Path backing, String... writes) {
        Path disk = dir.resolve(name);
        List<String> create = new ArrayList<>(List.of("qemu-img", "create", "-q", "-f", "qcow2"));
        if (backing != null) {
            create.addAll(List.of("-b", backing.toString(), "-F", "qcow2"));
        }
        create.addAll(List.of(disk.toString(), "1M"));
        Cloud.run(create);
        List<String> io = new ArrayList<>(List.of("qemu-io", "-f", "qcow2"));
        for (String write : writes) {
            io.addAll(List.of("-c", write));
        }
        io.add(disk.toString());
        Cloud.run(io);
        return disk;
    }

    /** DISK's guest content, through qemu-img. */
    private byte[] raw(Path disk) throws Exception {
        Path raw = dir.resolve(disk.getFileName() + ".raw");
        Cloud.run(List.of("qemu-img", "convert", "-O", "raw", disk.toString(), raw.toString()));
        return Files.readAllBytes(raw);
    }

    /** The process fencer as local-cloud.sh offers it: kills HOST's nova-compute and, by its PID file, its agent. */
    private String processFence() {
        return "{method: process, command: [" + Cloud.script() + ", fence, \"{host}\", --pidfile, \""
                + agents.pidFile("{host}") + "\"]}";
    }

    /** A controller as {@code serve} runs it, fencing by DEFAULT_FENCE, evaluating every 2 s and at once on failure. */
    private ServedController serve(String defaultFence) throws Exception {
        Files.writeString(dir.resolve("rules.yaml"), Cloud.TENANTS_OPT_IN + "policy: {maxReplicaLag: 1h}\nrules: []\n");
        return new ServedController(dir, ServedController.configBody(cloud, agents, "placement: {interval: 1h}\n"
                // Every STAY too, so that a round's record shows what it decided of the server.
                + "history: {recordStays: true}\n"
                + "moves:\n  fencing:\n    default: " + defaultFence + "\n"));
    }

    private void awaitEveryHostOk() {
        await("the controller serving, every host OK").atMost(STEP).pollInterval(Duration.ofMillis(500))
                .until(() -> HOSTS.stream().allMatch(h -> controller.state(h) == HostState.OK));
    }

    /** The host other than OLD where Nova shows the server ACTIVE, once it does. */
    private String awaitActiveAwayFrom(String old) {
        await(server + " ACTIVE away from " + old).atMost(STEP).pollInterval(NOVA_POLL).until(() -> {
            Server s = cloud.show(server);
            return s.host().filter(h -> !h.equals(old)).isPresent() && s.status().equals("ACTIVE");
        });
        return cloud.show(server).host().orElseThrow();
    }

    /** The server's failover, once its every step is done (the roles flipped, the metadata written). */
    private MoveState awaitDone() throws Exception {
        await("the failover done").atMost(STEP).pollInterval(POLL).until(() -> done().isPresent());
        return done().orElseThrow();
    }

    private Optional<MoveState> done() throws IOException {
        return controller.endedMoves().stream().filter(m -> m.plan().vm().equals(server)
                && m.status() == MoveState.Status.DONE).findFirst();
    }

    /** Nova shows the server once, on HOST; of the agents that run, HOST's alone may be its primary. */
    private void assertOneRunningCopyOn(String host) throws Exception {
        assertThat(cloud.leftovers()).as("the tests' servers in Nova").containsExactly(server);
        assertThat(cloud.show(server).host()).contains(host);
        List<String> primaries = new ArrayList<>();
        for (String h : HOSTS) {
            if (agents.running(h) && agents.client(h).protection(server).role() == Role.PRIMARY) {
                primaries.add(h);
            }
        }
        assertThat(primaries).as("agents that are the server's primary").isSubsetOf(host);
        if (!host.equals("compute1")) {
            assertThat(primaries).as("the roles flipped").containsExactly(host);
        }
    }

    /** Where FAILED_AT's failover MOVE spent its time; NOVA_DOWN_AT is when Nova by itself would call the host down. */
    private Timing timing(MoveState move, Instant failedAt, Instant novaDownAt) throws Exception {
        Instant detected = controller.detection().get(move.plan().source()).since();
        Map<Step, Long> took = move.millisByStep();
        Instant active = move.steps().stream().filter(s -> s.step() == Step.EVACUATE).findFirst().orElseThrow()
                .endedAt();
        return new Timing(move.plan().source() + " -> " + move.plan().target(), between(failedAt, detected),
                between(failedAt, move.startedAt()), took.getOrDefault(Step.FENCE, 0L),
                took.getOrDefault(Step.FORCE_DOWN, 0L) + took.getOrDefault(Step.STAGE, 0L)
                        + took.getOrDefault(Step.EVACUATE, 0L), between(failedAt, active),
                between(failedAt, novaDownAt), move.summary());
    }

    private static long between(Instant from, Instant to) {
        return Duration.between(from, to).toMillis();
    }

    /**
     * One failover's figures, in milliseconds from the failure: to FAILED (detection), to the
     * failover's start (the round), the fence alone, force-down + stage + evacuate (until Nova shows
     * it ACTIVE), to ACTIVE (the RTO); and when Nova by itself would have called the host down.
     */
    record Timing(String move, long detect, long started, long fence, long evacuate, long active, long novaDown,
            String summary) {

        @Override
        public String toString() {
            return String.format("failover %s: failure -> FAILED %d ms (detect), -> failover started %d ms, "
                    + "fence %d ms, force down + stage + evacuate %d ms, failure -> ACTIVE %d ms; Nova by itself "
                    + "would call the host down %d ms after the failure; %s", move, detect, started, fence, evacuate,
                    active, novaDown, summary);
        }
    }
}
