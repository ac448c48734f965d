package io.understudy.nova.cloudit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.understudy.nova.action.Evacuation;
import io.understudy.nova.action.ForceDown;
import io.understudy.nova.action.LiveMigration;
import io.understudy.nova.client.NovaClient;
import io.understudy.nova.client.NovaException;
import io.understudy.nova.cloud.CloudConfig;
import io.understudy.nova.cloud.CloudConfigLoader;
import io.understudy.nova.keystone.KeystoneLogin;
import io.understudy.nova.state.ComputeService;
import io.understudy.nova.state.ComputeServices;
import io.understudy.nova.state.InstanceAction;
import io.understudy.nova.state.InstanceActions;
import io.understudy.nova.state.Migration;
import io.understudy.nova.state.Migrations;
import io.understudy.nova.state.Server;
import io.understudy.nova.state.Servers;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Against the real single-machine cloud (devstack/local-cloud.sh): boot on a chosen host,
 * live-migrate, crash a compute, force it down, evacuate, and bring the compute back.
 *
 * <p>Runs only with {@code -Dunderstudy.cloud.config=PATH/clouds.yaml} (bin/test-all sets it);
 * expects the script's short {@code service_down_time} (10 s by default) for its time limits.
 */
class LiveMigrationAndEvacuationCloudIT {

    private static final List<String> HOSTS = List.of("compute1", "compute2", "compute3");
    private static final Duration STEP_TIMEOUT = Duration.ofSeconds(90);
    private static final Duration POLL = Duration.ofMillis(250);

    private static NovaClient nova;
    private static LocalCloud cloud;
    private static TestServers testServers;
    private static Servers servers;
    private static ComputeServices computeServices;
    private static Migrations migrations;
    private static ForceDown forceDown;

    private UUID server;

    @BeforeAll
    static void connect() {
        String cloudsYaml = System.getProperty("understudy.cloud.config");
        assertThat(cloudsYaml).as("system property understudy.cloud.config (the cloud's clouds.yaml)").isNotBlank();
        CloudConfig config = new CloudConfigLoader(Map.of("OS_CLIENT_CONFIG_FILE", cloudsYaml), List.of())
                .load(Optional.of(System.getProperty("understudy.cloud.name", "understudy")));
        nova = NovaClient.create(new KeystoneLogin(config, Duration.ofSeconds(30)), Duration.ofSeconds(60));
        cloud = new LocalCloud(Path.of(System.getProperty("understudy.cloud.script")));
        testServers = new TestServers(nova);
        servers = new Servers(nova);
        computeServices = new ComputeServices(nova);
        migrations = new Migrations(nova);
        forceDown = new ForceDown(nova);
    }

    /** A crashed earlier run may have left a compute dead or forced down, or a server behind. */
    @BeforeEach
    void cleanUpFirst() {
        restoreComputes();
        testServers.leftovers().forEach(this::deleteAndWait);
    }

    @AfterEach
    void cleanUp() {
        try {
            if (server != null) {
                deleteAndWait(server);
            }
        } finally {
            restoreComputes();
        }
    }

    @Test
    void liveMigratesThenEvacuatesFromACrashedHostAndBringsItBack() {
        long began = System.nanoTime();
        server = testServers.boot("moves", "compute1");
        awaitServer("ACTIVE on compute1 after boot", "ACTIVE", "compute1");
        Duration boot = since(began);

        began = System.nanoTime();
        new LiveMigration(nova).start(server, "compute2");
        Migration live = awaitMigration(Migration.LIVE_MIGRATION, "completed");
        Duration liveMigration = since(began);
        assertThat(live.sourceCompute()).contains("compute1");
        assertThat(live.destCompute()).contains("compute2");
        assertThat(servers.show(server)).get().extracting(Server::host, Server::status)
                .containsExactly(Optional.of("compute2"), "ACTIVE");

        ComputeService compute2 = computeServices.ofHost("compute2").orElseThrow();
        assertThat(compute2.up()).isTrue();
        long killed = System.nanoTime();
        cloud.killCompute("compute2");
        await("compute2's service down after its nova-compute was killed").atMost(STEP_TIMEOUT).pollInterval(POLL)
                .until(() -> !computeServices.ofHost("compute2").orElseThrow().up());
        Duration downDetection = since(killed);

        began = System.nanoTime();
        assertThat(forceDown.set(compute2.id(), true).forcedDown()).isTrue();
        new Evacuation(nova).start(server, "compute3");
        awaitServer("ACTIVE on compute3 after evacuation", "ACTIVE", "compute3");
        Duration evacuation = since(began);
        Duration killToActive = since(killed);

        assertThat(new InstanceActions(nova).ofServer(server)).extracting(InstanceAction::action)
                .contains("create", "live-migration", "evacuate");
        Migration evacuated = newest(Migration.EVACUATION).orElseThrow();
        assertThat(evacuated.sourceCompute()).contains("compute2");
        assertThat(evacuated.destCompute()).contains("compute3");
        assertThat(evacuated.status()).as("evacuation record while its source is still dead").isEqualTo("done");

        assertThatThrownBy(() -> forceDown.set(compute2.id(), false))
                .as("Nova keeps a host forced down while evacuations from it are only 'done'")
                .isInstanceOfSatisfying(NovaException.class, e -> assertThat(e.status()).hasValue(400));

        began = System.nanoTime();
        cloud.startCompute("compute2");
        awaitMigration(Migration.EVACUATION, "completed");
        assertThat(forceDown.set(compute2.id(), false).forcedDown()).isFalse();
        await("compute2 up again").atMost(STEP_TIMEOUT).pollInterval(POLL)
                .until(() -> computeServices.ofHost("compute2").orElseThrow().up());
        Duration restore = since(began);
        assertThat(servers.show(server)).get().extracting(Server::host, Server::status)
                .as("the returning compute leaves the evacuated server where it is")
                .containsExactly(Optional.of("compute3"), "ACTIVE");

        System.out.printf("single-machine cloud: boot %s, live migration %s, down detected %s after the kill, "
                        + "force-down + evacuation %s (kill to ACTIVE %s), compute restored %s%n",
                seconds(boot), seconds(liveMigration), seconds(downDetection), seconds(evacuation),
                seconds(killToActive), seconds(restore));
    }

    private void awaitServer(String what, String status, String host) {
        await(what).atMost(STEP_TIMEOUT).pollInterval(POLL)
                .failFast("server went to ERROR", () -> servers.show(server).map(s -> s.status().equals("ERROR")).orElse(false))
                .until(() -> servers.show(server)
                        .filter(s -> s.status().equals(status) && s.host().equals(Optional.of(host)) && s.taskState().isEmpty())
                        .isPresent());
    }

    private Migration awaitMigration(String type, String status) {
        Set<String> failed = Set.of("error", "failed", "cancelled");
        await(type + " record " + status).atMost(STEP_TIMEOUT).pollInterval(POLL)
                .failFast(type + " failed", () -> newest(type).map(m -> failed.contains(m.status())).orElse(false))
                .until(() -> newest(type).map(m -> m.status().equals(status)).orElse(false));
        return newest(type).orElseThrow();
    }

    private Optional<Migration> newest(String type) {
        return migrations.ofServer(server).stream().filter(m -> m.type().equals(type)).findFirst();
    }

    private void deleteAndWait(UUID id) {
        testServers.delete(id);
        await("server " + id + " deleted").atMost(STEP_TIMEOUT).pollInterval(POLL)
                .until(() -> servers.show(id).isEmpty());
    }

    /**
     * Every compute running, not forced down and up. Nova refuses to lift forced_down (400) until
     * the restarted compute has cleaned up its evacuated servers, so that is retried.
     */
    private static void restoreComputes() {
        HOSTS.forEach(cloud::startCompute);
        for (String host : HOSTS) {
            ComputeService service = computeServices.ofHost(host).orElseThrow();
            if (service.forcedDown()) {
                await(host + " no longer forced down").atMost(STEP_TIMEOUT).pollInterval(Duration.ofSeconds(1))
                        .ignoreExceptionsMatching(e -> e instanceof NovaException n && n.status().orElse(0) == 400)
                        .until(() -> !forceDown.set(service.id(), false).forcedDown());
            }
        }
        await("every compute up").atMost(STEP_TIMEOUT).pollInterval(POLL)
                .until(() -> computeServices.list().stream().filter(s -> HOSTS.contains(s.host()))
                        .filter(ComputeService::up).count() == HOSTS.size());
    }

    private static Duration since(long nanoTime) {
        return Duration.ofNanos(System.nanoTime() - nanoTime);
    }

    private static String seconds(Duration duration) {
        return String.format("%.1f s", duration.toMillis() / 1000.0);
    }
}
