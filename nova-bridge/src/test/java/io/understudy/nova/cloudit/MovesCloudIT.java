package io.understudy.nova.cloudit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.understudy.nova.action.ActionSettings;
import io.understudy.nova.action.Evacuation;
import io.understudy.nova.action.Fenced;
import io.understudy.nova.action.ForceDown;
import io.understudy.nova.action.LiveMigration;
import io.understudy.nova.action.MoveResult;
import io.understudy.nova.action.MoveResult.Outcome;
import io.understudy.nova.action.ServiceChange;
import io.understudy.nova.client.NovaClient;
import io.understudy.nova.state.ComputeService;
import io.understudy.nova.state.ComputeServices;
import io.understudy.nova.state.InstanceAction;
import io.understudy.nova.state.InstanceActions;
import io.understudy.nova.state.Migration;
import io.understudy.nova.state.Migrations;
import io.understudy.nova.state.Server;
import io.understudy.nova.state.Servers;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The bridge's actions against the real single-machine cloud (devstack/local-cloud.sh): a live
 * migration to a chosen host, a controller restart in its middle, a refused evacuation, and an
 * evacuation from a crashed compute, forced down at once, followed by bringing that compute back. Each prints its
 * figures: time split into checks, request and Nova's own work, and requests sent.
 *
 * <p>Runs only with {@code -Dunderstudy.cloud.config=PATH/clouds.yaml} (bin/test-all sets it).
 * A host is never left dead or forced down: every test restores the computes before and after.
 */
class MovesCloudIT {

    private static final Duration STEP_TIMEOUT = Duration.ofSeconds(90);
    private static final Duration POLL = Duration.ofMillis(250);

    private static NovaClient nova;
    private static LocalCloud cloud;
    private static TestServers testServers;
    private static Servers servers;
    private static ComputeServices computeServices;
    private static Migrations migrations;
    private static InstanceActions instanceActions;
    private static ActionSettings settings;
    private static ForceDown forceDown;
    private static TestCloud testCloud;

    private UUID server;

    @BeforeAll
    static void connect() {
        testCloud = TestCloud.connect(STEP_TIMEOUT);
        nova = testCloud.nova();
        cloud = testCloud.script();
        testServers = testCloud.servers();
        servers = new Servers(nova);
        computeServices = new ComputeServices(nova);
        migrations = new Migrations(nova);
        instanceActions = new InstanceActions(nova);
        settings = testCloud.settings();
        forceDown = testCloud.forceDown();
    }

    @BeforeEach
    void cleanUpFirst() {
        testCloud.cleanUpFirst();
    }

    @AfterEach
    void cleanUp() {
        testCloud.cleanUp(server);
    }

    @Test
    void liveMigratesToTheChosenHostAndSaysSoInItsMetadata() {
        server = bootOn("live", "compute1");

        MoveResult moved = new LiveMigration(nova, settings).run(server, "compute2");

        assertThat(moved.outcome()).as(moved.summary()).isEqualTo(Outcome.COMPLETED);
        assertThat(moved.lastSeen()).get().extracting(Server::host, Server::status)
                .containsExactly(Optional.of("compute2"), "ACTIVE");
        assertThat(moved.migration()).get()
                .extracting(Migration::status, Migration::sourceCompute, Migration::destCompute)
                .containsExactly("completed", Optional.of("compute1"), Optional.of("compute2"));
        assertThat(instanceActions.ofServer(server)).as("the action log shows our request")
                .filteredOn(a -> a.action().equals("live-migration")).extracting(InstanceAction::requestId)
                .containsExactlyElementsOf(moved.requestIds());

        MoveResult refused = new LiveMigration(nova, settings).run(server, "compute-nowhere");
        assertThat(refused.outcome()).as(refused.summary()).isEqualTo(Outcome.REFUSED);
        assertThat(refused.reason()).contains("HTTP 400", "compute-nowhere");

        print("live migration compute1 -> compute2", moved);
        print("live migration to an unknown host (refused)", refused);
    }

    @Test
    void aRestartedControllerFollowsTheLiveMigrationInFlightInsteadOfStartingAnother() throws Exception {
        server = bootOn("resume", "compute1");
        ExecutorService firstController = Executors.newSingleThreadExecutor();
        CompletableFuture<MoveResult> first = CompletableFuture.supplyAsync(
                () -> new LiveMigration(nova, settings).run(server, "compute3"), firstController);
        await("the first controller's live migration in Nova's records").atMost(STEP_TIMEOUT).pollInterval(POLL)
                .until(() -> migrations.ofServer(server).stream().anyMatch(Migration::isLiveMigration));
        firstController.shutdownNow();
        assertThat(firstController.awaitTermination(30, TimeUnit.SECONDS)).isTrue();
        MoveResult stopped = first.get();

        long restarted = System.nanoTime();
        Optional<MoveResult> resumed = new LiveMigration(nova, settings).resume(server)
                .or(() -> new Evacuation(nova, settings).resume(server));
        Duration followed = Duration.ofNanos(System.nanoTime() - restarted);

        assertThat(stopped.outcome()).as(stopped.summary()).isIn(Outcome.UNRESOLVED, Outcome.COMPLETED);
        assertThat(resumed).as("a live migration in flight to follow").isPresent();
        MoveResult result = resumed.get();
        assertThat(result.outcome()).as(result.summary()).isEqualTo(Outcome.COMPLETED);
        assertThat(result.resumed()).isTrue();
        assertThat(result.target()).isEqualTo("compute3");
        assertThat(migrations.ofServer(server)).as("Nova saw one migration").hasSize(1);
        assertThat(instanceActions.ofServer(server)).filteredOn(a -> a.action().equals("live-migration")).hasSize(1);
        MoveResult again = new LiveMigration(nova, settings).run(server, "compute3");
        assertThat(again.reason()).isEqualTo("already ACTIVE on compute3, nothing asked");

        print("first controller, stopped mid-move", stopped);
        print("restarted controller, following it", result);
        System.out.printf("figures: restarted controller found and followed the migration to its end in %d ms%n",
                followed.toMillis());
    }

    @Test
    void refusesToEvacuateWhileTheSourceIsUp() {
        server = bootOn("not-fenced", "compute1");

        MoveResult result = new Evacuation(nova, settings).run(server, "compute3",
                new Fenced("compute1", "claimed, not done", Instant.now()));

        // A fence proof is the controller's word; Nova itself still refuses while it sees the service up.
        assertThat(result.outcome()).as(result.summary()).isEqualTo(Outcome.REFUSED);
        assertThat(result.reason()).contains("is still in use");
        assertThat(migrations.ofServer(server)).isEmpty();
        assertThat(instanceActions.ofServer(server)).extracting(InstanceAction::action).doesNotContain("evacuate");
        assertThat(servers.show(server)).get().extracting(Server::host).isEqualTo(Optional.of("compute1"));
        print("evacuation while the source is up (refused)", result);
    }

    @Test
    void evacuatesFromAKilledComputeWithoutWaitingForNovaToSeeItDownAndBringsTheComputeBack() {
        server = bootOn("evacuate", "compute2");

        Instant killedAt = Instant.now();
        long killed = System.nanoTime();
        cloud.killCompute("compute2");
        // The kill is the fence (its proof below): forcing down at once is what lets Nova evacuate
        // before its own service_down_time has passed.
        long forcing = System.nanoTime();
        ServiceChange forced = forceDown.set("compute2", ForceDown.reason("MovesCloudIT's evacuation", killedAt));
        Duration forceDownTook = since(forcing);
        assertThat(forced.outcome()).as(forced.reason()).isEqualTo(ServiceChange.Outcome.CHANGED);
        assertThat(forced.service()).get().extracting(ComputeService::disabledByUnderstudy).isEqualTo(true);

        MoveResult evacuated = new Evacuation(nova, settings).run(server, "compute3",
                new Fenced("compute2", "nova-compute SIGKILLed by local-cloud.sh kill-compute", killedAt));
        Duration killToActive = since(killed);

        assertThat(evacuated.outcome()).as(evacuated.summary()).isEqualTo(Outcome.COMPLETED);
        assertThat(evacuated.lastSeen()).get().extracting(Server::host, Server::status)
                .containsExactly(Optional.of("compute3"), "ACTIVE");
        assertThat(evacuated.migration()).get().extracting(Migration::status).isEqualTo("done");
        assertThat(migrations.ofServer(server)).filteredOn(Migration::isEvacuation).hasSize(1);
        assertThat(killToActive).as("ACTIVE elsewhere before Nova itself would call compute2 down")
                .isLessThan(cloud.serviceDownTime());

        ServiceChange early = forceDown.lift("compute2");
        assertThat(early.outcome()).as("Nova keeps a host forced down while evacuations from it are only 'done'")
                .isEqualTo(ServiceChange.Outcome.AWAITING_CLEANUP);

        long restoring = System.nanoTime();
        cloud.startCompute("compute2");
        await("the evacuation record completed by the returning compute").atMost(STEP_TIMEOUT).pollInterval(POLL)
                .until(() -> migrations.ofServer(server).stream().filter(Migration::isEvacuation)
                        .allMatch(m -> m.status().equals(Migration.COMPLETED)));
        ServiceChange lifted = forceDown.lift("compute2");
        assertThat(lifted.outcome()).as(lifted.reason()).isEqualTo(ServiceChange.Outcome.CHANGED);
        assertThat(lifted.service()).get().extracting(ComputeService::enabled).isEqualTo(true);
        await("compute2 up again").atMost(STEP_TIMEOUT).pollInterval(POLL)
                .until(() -> computeServices.ofHost("compute2").orElseThrow().up());
        Duration restored = since(restoring);
        assertThat(servers.show(server)).get().extracting(Server::host, Server::status)
                .as("the returning compute leaves the evacuated server where it is")
                .containsExactly(Optional.of("compute3"), "ACTIVE");

        print("evacuation compute2 -> compute3", evacuated);
        System.out.printf("figures: force-down %d ms (%d requests); kill to ACTIVE on compute3 %d ms "
                        + "(service_down_time %d s); compute2 back (restart, cleanup, forced_down lifted, up) %d ms%n",
                forceDownTook.toMillis(), forced.requests(), killToActive.toMillis(),
                cloud.serviceDownTime().toSeconds(), restored.toMillis());
    }

    private static UUID bootOn(String name, String host) {
        return testServers.bootActive(name, host, TestServers.Boot.TINY, STEP_TIMEOUT);
    }

    private static void print(String what, MoveResult result) {
        System.out.printf("figures: %s: %s; %d ms in all = checks %d ms + request %d ms + Nova's own %d ms; "
                        + "%d requests%n", what, result.outcome(), result.timing().total().toMillis(),
                result.timing().checks().toMillis(), result.timing().request().toMillis(),
                result.timing().nova().toMillis(), result.requests());
    }

    private static Duration since(long nanoTime) {
        return Duration.ofNanos(System.nanoTime() - nanoTime);
    }
}
