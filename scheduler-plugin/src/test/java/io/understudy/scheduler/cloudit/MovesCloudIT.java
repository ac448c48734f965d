package io.understudy.scheduler.cloudit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.inject.Guice;
import com.google.inject.Injector;
import io.understudy.agent.api.Peer;
import io.understudy.agent.api.Protection;
import io.understudy.agent.api.Role;
import io.understudy.nova.client.Microversion;
import io.understudy.nova.state.ComputeServices;
import io.understudy.nova.state.Migration;
import io.understudy.nova.state.Migrations;
import io.understudy.nova.state.Server;
import io.understudy.scheduler.cli.Main;
import io.understudy.scheduler.config.ConfigLoader;
import io.understudy.scheduler.config.ControllerConfig;
import io.understudy.scheduler.history.HistoryModule;
import io.understudy.scheduler.history.HistoryStore;
import io.understudy.scheduler.history.JsonLinesHistory;
import io.understudy.scheduler.history.RoundRecord;
import io.understudy.scheduler.metrics.MetricsModule;
import io.understudy.scheduler.moves.Journal;
import io.understudy.scheduler.moves.ManualMoves;
import io.understudy.scheduler.moves.MoveState;
import io.understudy.scheduler.moves.MovesModule;
import io.understudy.scheduler.records.RecordsModule;
import io.understudy.scheduler.round.Controller;
import io.understudy.scheduler.round.MoveExecutor;
import io.understudy.scheduler.round.RoundModule;
import io.understudy.scheduler.round.RoundState;
import io.understudy.scheduler.round.RulesModule;
import io.understudy.scheduler.stats.AgentsModule;
import io.understudy.scheduler.stats.OpenStackModule;
import io.understudy.scheduler.testing.AgentDaemons;
import io.understudy.scheduler.testing.SeedDelta;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.http.HttpRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Moves end to end on the single-machine cloud (devstack/local-cloud.sh) with a real agent daemon
 * per compute host: a live migration the rules decide, a failover after a nova-compute is killed,
 * a failover refused while the source is up, and a controller restarted in the middle of a live
 * migration. The controller is wired from a configuration file as {@code serve} wires it. Each
 * prints its figures: the move's time split by step (Nova's own share of its steps) and the
 * requests sent. The computes are restored before and after each test, never left forced down.
 *
 * <p>What is not real: Nova's fake driver runs no guest and copies no disk, so the replicas are
 * seeds of an empty disk sent over the agents' API, and no round runs on the old primary (no
 * domain to capture under libvirt's test driver): its hold is all a live migration asks of it.
 */
class MovesCloudIT {

    private static final List<String> HOSTS = List.of("compute1", "compute2", "compute3");
    private static final Duration STEP = Duration.ofSeconds(120);
    private static final Microversion BASE = new Microversion(2, 1);

    private static Cloud cloud;

    @TempDir
    Path dir;

    private AgentDaemons agents;
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
        cloud.cleanUp(HOSTS, agents, server);
    }

    @Test
    void theRulesLiveMigrateAProtectedVmToAReplicaHolderAndTheRolesFlip() throws Exception {
        server = bootProtectedOn("compute1");
        Injector controller = controller("policy: {maxReplicaLag: 1h, cooldown: 1h}\n"
                + "rules: [{name: alone, parameter: running_vms, max: 0}]\n");

        controller.getInstance(Controller.class).evaluate(RoundState.INITIAL, "it", Optional.empty());

        RoundRecord round = controller.getInstance(HistoryStore.class).latest().orElseThrow();
        var decision = round.decisions().stream().filter(d -> d.vm().equals(server)).findFirst().orElseThrow();
        assertThat(decision.outcome()).isEqualTo("MOVE");
        assertThat(decision.action()).contains("live-migrate");
        String target = decision.target().orElseThrow();
        assertThat(round.executions()).singleElement().satisfies(e -> assertThat(e).contains(": DONE in "));
        assertThat(cloud.show(server)).extracting(Server::host, Server::status)
                .containsExactly(Optional.of(target), "ACTIVE");
        assertThat(new Migrations(cloud.nova).ofServer(server)).singleElement()
                .satisfies(m -> assertThat(m.isLiveMigration()).isTrue());
        assertRolesFlipped(target, "compute1");
        // Nothing written into the server, which its project reads: no compute host named there.
        assertThat(metadata(server)).as("the server's metadata after the move")
                .containsExactly(Map.entry("understudy:protect", "true"));
        System.out.println("figures: rules-driven " + round.executions().get(0));
    }

    @Test
    void aKilledComputesVmIsFailedOverOntoAReplicaHolderFencedByNovasVerdict() throws Exception {
        server = bootProtectedOn("compute1");
        Injector injector = controller("policy: {maxReplicaLag: 1h}\n"
                + "rules: [{name: compute-up, parameter: service_up, equals: true}]\n");
        Controller controller = injector.getInstance(Controller.class);
        HistoryStore history = injector.getInstance(HistoryStore.class);
        RoundState[] state = {controller.evaluate(RoundState.INITIAL, "it", Optional.empty())};

        long killed = System.nanoTime();
        cloud.killCompute("compute1");
        // No failure detection here: the rule acts on Nova's own verdict, after service_down_time.
        await("a round that fails the VM over").atMost(cloud.serviceDownTime().plus(STEP))
                .pollInterval(Duration.ofMillis(500)).until(() -> {
            state[0] = controller.evaluate(state[0], "it", Optional.empty());
            return !history.latest().orElseThrow().executions().isEmpty();
        });
        Duration killToActive = Duration.ofNanos(System.nanoTime() - killed);

        RoundRecord round = history.latest().orElseThrow();
        var decision = round.decisions().stream().filter(d -> d.vm().equals(server)).findFirst().orElseThrow();
        assertThat(decision.action()).contains("evacuate");
        String target = decision.target().orElseThrow();
        String execution = round.executions().get(0);
        assertThat(execution).contains("failover of " + server + " compute1 -> " + target + ": DONE");
        assertThat(cloud.show(server)).extracting(Server::host, Server::status)
                .containsExactly(Optional.of(target), "ACTIVE");
        assertThat(new Migrations(cloud.nova).ofServer(server)).singleElement().satisfies(m ->
                assertThat(m.isEvacuation()).isTrue());
        assertThat(new ComputeServices(cloud.nova).ofHost("compute1").orElseThrow().forcedDown())
                .as("the old primary is forced down until it is brought back").isTrue();
        MoveState move = ended();
        assertThat(move.steps().stream().filter(s -> s.step().name().equals("STAGE")).findFirst().orElseThrow().note())
                .contains("staged as " + agents.instancesPath(target).resolve(server.toString()).resolve("disk"));
        assertRolesFlipped(target, "compute1");
        System.out.println("figures: nova-compute killed -> ACTIVE on " + target + " " + killToActive.toMillis()
                + " ms (service_down_time " + cloud.serviceDownTime().toSeconds() + " s, rounds every 0.5 s); "
                + execution);
    }

    @Test
    void aFailoverByHandIsRefusedWhileTheSourcesNovaComputeIsUp() throws Exception {
        server = bootProtectedOn("compute1");
        controller("rules: []\n");

        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int exit = Main.run(new String[] {"failover", server.toString(), "--to", "compute2", "--config",
                dir.resolve("controller.yaml").toString()}, new PrintWriter(out, true), new PrintWriter(err, true));

        assertThat(exit).as(out + "\n" + err).isEqualTo(Main.EXIT_REFUSED);
        assertThat(err.toString().strip()).startsWith("understudy: failover of " + server + " compute1 -> compute2 "
                + "refused: failover blocked: fence failed: compute1's nova-compute is up in Nova")
                .doesNotContain("\n");
        assertThat(new Migrations(cloud.nova).ofServer(server)).isEmpty();
        assertThat(cloud.show(server).host()).contains("compute1");
        assertThat(agents.client("compute2").protection(server).role()).isEqualTo(Role.SECONDARY);

        exit = Main.run(new String[] {"failover", server.toString(), "--to", "compute1", "--config",
                dir.resolve("controller.yaml").toString()}, new PrintWriter(out, true), new PrintWriter(err, true));
        assertThat(exit).isEqualTo(Main.EXIT_BAD_INPUT);
        assertThat(err.toString()).contains("runs on compute1 already");
    }

    @Test
    void aControllerRestartedMidLiveMigrationFollowsItToTheEnd() throws Exception {
        server = bootProtectedOn("compute1");
        controller("rules: []\n");
        Injector first = injector();
        ExecutorService firstController = Executors.newSingleThreadExecutor();
        CompletableFuture<MoveState> moving = CompletableFuture.supplyAsync(() -> first.getInstance(ManualMoves.class)
                .migrate(server, "compute3", Duration.ofHours(1)), firstController);
        await("the live migration in Nova's records").atMost(STEP).pollInterval(Duration.ofMillis(200))
                .until(() -> !new Migrations(cloud.nova).ofServer(server).isEmpty());
        firstController.shutdownNow();
        assertThat(firstController.awaitTermination(60, TimeUnit.SECONDS)).isTrue();
        MoveState stopped = moving.get();
        assertThat(stopped.status()).as(stopped.summary()).isIn(MoveState.Status.IN_FLIGHT, MoveState.Status.DONE);

        long restarted = System.nanoTime();
        List<String> settled = injector().getInstance(MoveExecutor.class).settle();
        Duration followed = Duration.ofNanos(System.nanoTime() - restarted);

        if (stopped.status() == MoveState.Status.IN_FLIGHT) {
            assertThat(settled).singleElement().satisfies(s -> assertThat(s).contains(": DONE in "));
        }
        assertThat(injector().getInstance(Journal.class).open()).isEmpty();
        assertThat(cloud.show(server)).extracting(Server::host, Server::status).containsExactly(Optional.of("compute3"),
                "ACTIVE");
        assertThat(new Migrations(cloud.nova).ofServer(server)).as("Nova saw one migration").singleElement()
                .satisfies(m -> assertThat(m.status()).isEqualTo(Migration.COMPLETED));
        assertRolesFlipped("compute3", "compute1");
        System.out.println("figures: first controller stopped at " + stopped.summary() + "; restarted controller "
                + "followed it in " + followed.toMillis() + " ms: " + settled);
    }

    /** Boots a protected server on HOST; the agents get their parts and the others a replica. */
    private UUID bootProtectedOn(String host) throws Exception {
        UUID vm = cloud.boot("move", host, Map.of("understudy:protect", "true"));
        await(vm + " ACTIVE on " + host).atMost(STEP).until(() -> cloud.show(vm).settledOn(host));
        agents.protect(vm, host);
        for (String secondary : HOSTS.stream().filter(h -> !h.equals(host)).toList()) {
            agents.client(secondary).sendDelta(vm, HttpRequest.BodyPublishers.ofByteArray(
                    SeedDelta.zeros(vm, 1 << 20, System.currentTimeMillis())));
        }
        return vm;
    }

    /** TARGET's agent is the primary of the server, replicating to the others; they, OLD too, its secondaries. */
    private void assertRolesFlipped(String target, String old) throws Exception {
        Set<String> others = HOSTS.stream().filter(h -> !h.equals(target)).collect(Collectors.toSet());
        Protection primary = agents.client(target).protection(server);
        assertThat(primary.role()).isEqualTo(Role.PRIMARY);
        assertThat(primary.peers()).extracting(Peer::host).containsExactlyInAnyOrderElementsOf(others);
        assertThat(others).contains(old);
        for (String host : others) {
            Protection secondary = agents.client(host).protection(server);
            assertThat(secondary.role()).as(host).isEqualTo(Role.SECONDARY);
            assertThat(secondary.peers()).extracting(Peer::host).as(host).containsExactly(target);
        }
    }

    /** Writes the controller's configuration and rules (agents, cloud, Nova's service_down_time) and wires it. */
    private Injector controller(String rules) throws Exception {
        Files.writeString(dir.resolve("rules.yaml"), Cloud.TENANTS_OPT_IN + rules);
        StringBuilder endpoints = new StringBuilder();
        agents.urls().forEach((host, url) -> endpoints.append("    ").append(host).append(": ").append(url)
                .append('\n'));
        Files.writeString(dir.resolve("controller.yaml"), "dataDir: " + dir.resolve("controller") + "\n"
                + "rules: rules.yaml\n"
                + "openstack: {cloudsYaml: " + cloud.cloudsYaml + ", cloud: " + Cloud.CONTROLLER_CLOUD + "}\n"
                + "agents:\n  timeout: 10s\n  auth: {clusterTokenFile: " + agents.tokenFile + "}\n  endpoints:\n"
                + endpoints
                + "moves: {serviceDownTime: " + cloud.serviceDownTime().toSeconds() + "s, pollWait: 250ms, "
                + "pollMaxWait: 1s}\n");
        return injector();
    }

    /** A controller anew from the configuration file: what a restart makes. */
    private Injector injector() {
        ControllerConfig c = new ConfigLoader().load(dir.resolve("controller.yaml"));
        return Guice.createInjector(new OpenStackModule(c.openstack(), System.getenv()), new AgentsModule(c.agents()),
                new RulesModule(c.rules()), new RoundModule(c), new HistoryModule(c.history()),
                new RecordsModule(c.jobs(), c.dataDir()), new MovesModule(c.moves(), c.releaseDeletedAfter()),
                new MetricsModule());
    }

    /** The move the journal holds as ended, the newest. */
    private MoveState ended() throws Exception {
        Path dirEnded = dir.resolve("controller/moves/ended");
        try (var files = Files.list(dirEnded)) {
            Path newest = files.max(java.util.Comparator.comparing(Path::toString)).orElseThrow();
            return JsonLinesHistory.mapper().readValue(newest.toFile(), MoveState.class);
        }
    }

    private static Map<String, String> metadata(UUID vm) {
        Map<String, String> out = new java.util.HashMap<>();
        cloud.nova.get("/servers/" + vm + "/metadata", BASE).path("metadata").fields()
                .forEachRemaining(e -> out.put(e.getKey(), e.getValue().asText()));
        return out;
    }
}
