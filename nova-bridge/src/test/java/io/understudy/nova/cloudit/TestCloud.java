package io.understudy.nova.cloudit;

import static java.util.Objects.requireNonNull;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.understudy.nova.action.ActionSettings;
import io.understudy.nova.action.ForceDown;
import io.understudy.nova.client.Backoff;
import io.understudy.nova.client.NovaClient;
import io.understudy.nova.client.RetryPolicy;
import io.understudy.nova.cloud.CloudConfig;
import io.understudy.nova.cloud.CloudConfigLoader;
import io.understudy.nova.state.ComputeService;
import io.understudy.nova.state.ComputeServices;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * The single-machine cloud a test class runs against, from the system properties failsafe passes
 * ({@code understudy.cloud.config}, its clouds.yaml; {@code understudy.cloud.script}): Nova, the
 * script, the bridge's settings with quicker polls, and its three computes put back whole.
 */
record TestCloud(NovaClient nova, LocalCloud script, ActionSettings settings, ForceDown forceDown,
        TestServers servers, Duration stepTimeout) {

    static final List<String> HOSTS = List.of("compute1", "compute2", "compute3");
    private static final Duration POLL = Duration.ofMillis(250);

    TestCloud {
        requireNonNull(nova, "nova is null");
        requireNonNull(script, "script is null");
        requireNonNull(settings, "settings is null");
        requireNonNull(forceDown, "forceDown is null");
        requireNonNull(servers, "servers is null");
        requireNonNull(stepTimeout, "stepTimeout is null");
    }

    /** @param stepTimeout how long each wait for Nova may take */
    static TestCloud connect(Duration stepTimeout) {
        String cloudsYaml = System.getProperty("understudy.cloud.config");
        assertThat(cloudsYaml).as("system property understudy.cloud.config (the cloud's clouds.yaml)").isNotBlank();
        CloudConfig config = new CloudConfigLoader(Map.of("OS_CLIENT_CONFIG_FILE", cloudsYaml), List.of())
                .load(Optional.of(System.getProperty("understudy.cloud.name", "understudy")));
        NovaClient nova = NovaClient.create(config, Duration.ofSeconds(30));
        LocalCloud script = new LocalCloud(Path.of(System.getProperty("understudy.cloud.script")),
                Path.of(cloudsYaml).toAbsolutePath().getParent());
        // The defaults but for quicker polls.
        ActionSettings d = ActionSettings.DEFAULTS;
        ActionSettings settings = new ActionSettings(RetryPolicy.DEFAULT,
                new Backoff(Duration.ofMillis(250), Duration.ofSeconds(1)), d.liveMigrationTimeout(),
                d.liveMigrationTimeoutPerGiB(), d.onTimeout(), d.settleTimeout(), d.evacuationTimeout());
        return new TestCloud(nova, script, settings, new ForceDown(nova, settings), new TestServers(nova), stepTimeout);
    }

    /**
     * Every compute running, not forced down and up. Nova refuses to lift forced_down until the
     * restarted compute has cleaned up its evacuated servers, so lifting is asked until it is done.
     */
    private void restore() {
        HOSTS.forEach(script::startCompute);
        for (String host : HOSTS) {
            await(host + " no longer forced down").atMost(stepTimeout).pollInterval(Duration.ofSeconds(1))
                    .until(() -> forceDown.lift(host).done());
        }
        ComputeServices computeServices = new ComputeServices(nova);
        await("every compute up").atMost(stepTimeout).pollInterval(POLL)
                .until(() -> computeServices.list().stream().filter(s -> HOSTS.contains(s.host()))
                        .filter(ComputeService::up).count() == HOSTS.size());
    }

    /** Before a test: a crashed earlier run may have left a compute dead or forced down, or a server behind. */
    void cleanUpFirst() {
        restore();
        servers.leftovers().forEach(id -> servers.deleteAndWait(id, stepTimeout));
    }

    /** After a test: its server deleted (if it made one), the computes whole again. */
    void cleanUp(UUID server) {
        try {
            if (server != null) {
                servers.deleteAndWait(server, stepTimeout);
            }
        } finally {
            restore();
        }
    }
}
