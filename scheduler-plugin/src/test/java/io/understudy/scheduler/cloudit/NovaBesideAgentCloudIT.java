package io.understudy.scheduler.cloudit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.understudy.agent.api.PrimaryStatus;
import io.understudy.agent.api.StageResult;
import io.understudy.nova.action.ActionSettings;
import io.understudy.nova.action.Evacuation;
import io.understudy.nova.action.Fenced;
import io.understudy.nova.action.ForceDown;
import io.understudy.nova.action.MoveResult;
import io.understudy.scheduler.testing.AgentDaemons;
import io.understudy.nova.client.Microversion;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The agent beside Nova's real libvirt driver ({@code devstack/local-cloud.sh up --virt libvirt}):
 * a guest Nova booted on compute1 is protected (compute1's agent its primary, compute2's its
 * secondary, a round every second, each agent inside its host's namespace beside its libvirtd and
 * storage), and while rounds run Nova hard-reboots it, stops and starts it, pauses, suspends,
 * rescues, snapshots, rebuilds, shelves and unshelves and live-migrates it. Every one of these must succeed in Nova's own records
 * (its instance action has no error), and replication must go on afterwards. Then its new host
 * fails: the replica compute1's agent stages is what Nova's evacuation boots, and the guest goes on
 * from every record it wrote before the last round that reached compute1. Last, Nova deletes it.
 * Before, the first three failed: libvirt refuses to undefine a stopped domain that has
 * checkpoints, and Nova undefines without the flag that would allow it.
 *
 * <p>Needs the computes on Nova's libvirt driver: bin/test-all runs it once the cloud is on them
 * ({@code -Dit.test=NovaBesideAgentCloudIT}); the cloud profile leaves it out otherwise.
 */
class NovaBesideAgentCloudIT {

    private static final List<String> HOSTS = List.of("compute1", "compute2");
    /** TCG on two shared cores: a boot takes 3 to 30 s here. */
    private static final Duration STEP = Duration.ofSeconds(180);
    private static final Duration ROUNDS = Duration.ofSeconds(1);
    private static final Microversion ACTIONS = new Microversion(2, 74);

    @TempDir
    Path dir;

    private Cloud cloud;
    private AgentDaemons agents;
    private UUID server;
    private final List<String> report = new ArrayList<>();

    @BeforeEach
    void setUp() throws IOException {
        cloud = new Cloud();
        assertThat(cloud.virt()).as("the cloud's computes run Nova's libvirt driver (devstack/local-cloud.sh up "
                + "--virt libvirt)").isEqualTo("libvirt");
        cloud.restoreComputes(List.of("compute1", "compute2", "compute3"));
        cloud.leftovers().forEach(cloud::deleteAndWait);
        agents = cloud.agentsInHosts(HOSTS, dir);
    }

    @AfterEach
    void tearDown() throws IOException {
        try {
            if (agents != null) {
                agents.close();
            }
            if (server != null) {
                cloud.deleteAndWait(server);
            }
            cloud.deleteImages(Cloud.PREFIX + "snapshot");
            cloud.deleteImages(Cloud.PREFIX + "beside-shelved");
            cloud.restoreComputes(List.of("compute1", "compute2", "compute3"));
        } finally {
            cloud.removeAgentData(HOSTS);
            report.forEach(System.out::println);
        }
    }

    @Test
    void everyNovaOperationSucceedsWhileRoundsRunAndReplicationGoesOnAfterwards() throws Exception {
        server = cloud.bootGuest("beside", "compute1", Map.of());
        awaitStatus("ACTIVE");
        agents.protect(server, "compute1", ROUNDS);
        long version = awaitRounds("compute1", 0);

        version = operate("hard reboot", "{\"reboot\": {\"type\": \"HARD\"}}", "reboot", "ACTIVE", version);
        operate("stop", "{\"os-stop\": null}", "stop", "SHUTOFF", -1);
        version = operate("start", "{\"os-start\": null}", "start", "ACTIVE", version);
        operate("pause", "{\"pause\": null}", "pause", "PAUSED", -1);
        version = operate("unpause", "{\"unpause\": null}", "unpause", "ACTIVE", version);
        operate("suspend", "{\"suspend\": null}", "suspend", "SUSPENDED", -1);
        version = operate("resume", "{\"resume\": null}", "resume", "ACTIVE", version);
        version = operate("rescue", "{\"rescue\": {}}", "rescue", "RESCUE", version);
        version = operate("unrescue", "{\"unrescue\": null}", "unrescue", "ACTIVE", version);
        version = operate("snapshot", "{\"createImage\": {\"name\": \"" + Cloud.PREFIX + "snapshot\"}}",
                "createImage", "ACTIVE", version);
        // A new disk from the image, in a domain defined anew: the next round is full, never a wrong delta.
        version = operate("rebuild", "{\"rebuild\": {\"imageRef\": \"" + cloud.imageId("understudy-guest") + "\"}}",
                "rebuild", "ACTIVE", version);
        // Shelved (snapshot, domain destroyed and undefined, disk gone), then back on compute1 from it.
        operate("shelve", "{\"shelve\": null}", "shelve", "SHELVED_OFFLOADED", -1);
        version = operate("unshelve", "{\"unshelve\": {\"host\": \"compute1\"}}", "unshelve", "ACTIVE", version);

        // Nova's block migration to compute2: libvirt would refuse a domain with checkpoints.
        operate("live migration", "{\"os-migrateLive\": {\"host\": \"compute2\", \"block_migration\": \"auto\"}}",
                "live-migration", "ACTIVE", -1);
        assertThat(cloud.server(server).path("OS-EXT-SRV-ATTR:host").asText()).isEqualTo("compute2");
        // What the controller's re-designation does after a move: compute2 replicates now, and
        // compute1, which Nova left without the disk, holds a replica again.
        agents.protect(server, "compute2", ROUNDS);
        awaitRounds("compute2", 0);

        // compute2 fails. Every record the guest wrote before a round that then reached compute1
        // must be on the disk Nova boots there: the last record seen, then a round begun after it.
        long acknowledged = Cloud.lastGuestLine(cloud.console(server), "record");
        awaitRounds("compute2", primaryVersion("compute2"));
        Instant failedAt = Instant.now();
        long failing = System.nanoTime();
        agents.kill("compute2");
        Cloud.run(List.of("bash", Cloud.script().toString(), "fence", "compute2", "--domain",
                cloud.server(server).path("OS-EXT-SRV-ATTR:instance_name").asText()));
        assertThat(new ForceDown(cloud.nova, ActionSettings.DEFAULTS).set("compute2").done()).isTrue();
        StageResult staged = agents.client("compute1").stage(server);
        MoveResult evacuated = new Evacuation(cloud.nova, ActionSettings.DEFAULTS).run(server, "compute1",
                new Fenced("compute2", "nova-compute and agent killed, guest destroyed (local-cloud.sh fence)",
                        failedAt));
        assertThat(evacuated.outcome()).as(evacuated.summary()).isEqualTo(MoveResult.Outcome.COMPLETED);
        awaitStatus("ACTIVE");
        long active = (System.nanoTime() - failing) / 1_000_000;
        long[] resumed = {-1};
        await("the guest booted on compute1 from the staged replica, writing again").atMost(STEP)
                .pollInterval(Duration.ofMillis(500)).until(() -> {
                    String log = cloud.console(server);
                    resumed[0] = Cloud.lastGuestLine(log, "resume");
                    return resumed[0] >= 0 && Cloud.lastGuestLine(log, "record") > resumed[0];
                });
        assertThat(resumed[0]).as("the record the guest found newest on the replica it booted from")
                .isGreaterThanOrEqualTo(acknowledged);
        report.add(String.format("failover        compute2 failed -> ACTIVE on compute1 in %d ms, writing again after "
                        + "%d ms; booted replica version %d, resumed after record %d (acknowledged before the last "
                        + "round: %d)", active, (System.nanoTime() - failing) / 1_000_000, staged.version(),
                resumed[0], acknowledged));

        long deleting = System.nanoTime();
        cloud.deleteAndWait(server);
        report.add(String.format("delete          gone from Nova in %d ms", (System.nanoTime() - deleting) / 1_000_000));
        server = null;
    }

    /**
     * Asks Nova for ACTION, waits until the server is in STATUS with no task, and checks Nova's
     * record of it ended without an error. With {@code version >= 0}, rounds must then go on past
     * it: returns the primary's version they reached.
     */
    private long operate(String what, String action, String name, String status, long version) {
        long t0 = System.nanoTime();
        cloud.action(server, action);
        awaitStatus(status);
        long took = (System.nanoTime() - t0) / 1_000_000;
        JsonNode record = newestAction(name);
        assertThat(record.path("message").isNull()).as("Nova's record of the %s: %s", what, record).isTrue();
        String line = String.format("%-15s %s in %6d ms", what, status, took);
        if (version < 0) {
            report.add(line);
            return version;
        }
        String primary = cloud.server(server).path("OS-EXT-SRV-ATTR:host").asText();
        long reached = awaitRounds(primary, version);
        report.add(line + String.format("; rounds went on: version %d -> %d", version, reached));
        return reached;
    }

    /** Waits until Nova shows the server in STATUS with no task in flight. */
    private void awaitStatus(String status) {
        await(server + " " + status).atMost(STEP).pollInterval(Duration.ofMillis(500)).until(() -> {
            JsonNode s = cloud.server(server);
            assertThat(s.path("status").asText()).as("%s: %s", server, s.path("fault")).isNotEqualTo("ERROR");
            return s.path("status").asText().equals(status) && s.path("OS-EXT-STS:task_state").isNull();
        });
    }

    /**
     * Waits until PRIMARY's rounds have made two versions past AFTER and its secondary holds one of
     * them (a round that ran wholly after the operation, shipped); returns the primary's version.
     */
    private long awaitRounds(String primary, long after) {
        String secondary = HOSTS.stream().filter(h -> !h.equals(primary)).findFirst().orElseThrow();
        long[] reached = {after};
        await("rounds on " + primary + " past version " + after).atMost(STEP).pollInterval(Duration.ofMillis(500))
                .ignoreExceptions().until(() -> {
                    reached[0] = primaryVersion(primary);
                    return reached[0] >= after + 2
                            && agents.client(secondary).replica(server).version() >= after + 2;
                });
        return reached[0];
    }

    private long primaryVersion(String primary) throws IOException {
        PrimaryStatus p = agents.client(primary).primaries().stream().filter(s -> s.vm().equals(server)).findFirst()
                .orElseThrow(() -> new IllegalStateException(primary + " is not the primary of " + server));
        return p.version();
    }

    /** Nova's newest record of ACTION on the server ({@code os-instance-actions}). */
    private JsonNode newestAction(String action) {
        JsonNode newest = null;
        for (JsonNode a : cloud.nova.get("/servers/" + server + "/os-instance-actions", ACTIONS)
                .path("instanceActions")) {
            if (a.path("action").asText().equals(action)
                    && (newest == null || a.path("start_time").asText().compareTo(newest.path("start_time").asText()) > 0)) {
                newest = a;
            }
        }
        assertThat(newest).as("Nova's record of a %s of %s", action, server).isNotNull();
        return newest;
    }
}
