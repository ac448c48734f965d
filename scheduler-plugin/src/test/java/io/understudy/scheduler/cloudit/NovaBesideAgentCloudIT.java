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
 * storage), and while rounds run Nova hard- and soft-reboots it, stops and starts it, pauses,
 * suspends, rescues, snapshots, rebuilds, shelves and unshelves and live-migrates it. Every one of
 * these must succeed in Nova's own records (its instance action has no error), and replication
 * must go on afterwards. Then its new host fails: the replica compute1's agent stages is what
 * Nova's evacuation boots, and the guest goes on from every record it wrote before the last round
 * that reached compute1. Last, Nova deletes it. Before, the first three failed: libvirt refuses to
 * undefine a stopped domain that has checkpoints, and Nova undefines without the flag that would
 * allow it. A second guest goes through Nova's cold moves (cold migration, resize confirmed and
 * reverted), which copy its disk with scp between the hosts' sshd.
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
    private static final Microversion EVENT_DETAILS = new Microversion(2, 84);
    /** The tiny guest's flavor, and the larger one local-cloud.sh makes to resize it to. */
    private static final String GUEST = "understudy.guest";
    private static final String LARGE = "understudy.guest.large";

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
            // The server first, its agents still running: an agent stopped in the middle of a round
            // leaves its checkpoint defined until it starts again, and libvirt then refuses Nova's
            // undefine of the domain (the delete would end in ERROR).
            if (server != null) {
                cloud.deleteAndWait(server);
            }
            if (agents != null) {
                agents.close();
            }
            cloud.deleteImages(Cloud.PREFIX + "snapshot");
            cloud.deleteImages(Cloud.PREFIX + "beside-shelved");
            // The cold moves' test disables compute3 (no agent there) while Nova schedules resizes.
            cloud.enable("compute3", true);
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
        // The guest ignores ACPI: Nova waits [libvirt] wait_soft_reboot_seconds (5 s on this cloud)
        // for it to shut down, then reboots it hard.
        version = operate("soft reboot", "{\"reboot\": {\"type\": \"SOFT\"}}", "reboot", "ACTIVE", version);
        operate("stop", "{\"os-stop\": null}", "stop", "SHUTOFF", -1);
        version = operate("start", "{\"os-start\": null}", "start", "ACTIVE", version);
        operate("pause", "{\"pause\": null}", "pause", "PAUSED", -1);
        version = operate("unpause", "{\"unpause\": null}", "unpause", "ACTIVE", version);
        operate("suspend", "{\"suspend\": null}", "suspend", "SUSPENDED", -1);
        version = operate("resume", "{\"resume\": null}", "resume", "ACTIVE", version);
        version = operate("rescue", "{\"rescue\": {}}", "rescue", "RESCUE", version);
        version = operate("unrescue", "{\"unrescue\": null}", "unrescue", "ACTIVE", version);
        version = snapshot(version);
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
        assertThat(new ForceDown(cloud.nova, ActionSettings.DEFAULTS).set("compute2",
                ForceDown.reason("NovaBesideAgentCloudIT's evacuation", failedAt)).done()).isTrue();
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
     * Nova's own cold moves of a protected guest, while rounds run: a cold migration from compute1
     * to compute2, confirmed; a resize to the larger flavor (onto compute1), reverted; the same
     * resize again, confirmed. Each copies the powered-off disk with scp between the hosts' sshd
     * (local-cloud.sh) and boots it on the other host, where the guest must go on from every record
     * it had acknowledged before the move. The agents are told what the controller's placement
     * round tells them, which takes the primary from Nova's host: while the move awaits its
     * confirmation Nova already names the new host, so that host becomes the primary then (its
     * running disk is what a failover would need), and a revert makes the old host the primary
     * again, on the disk Nova kept there. Until told, the old primary's agent must capture nothing:
     * the domain there is shut off and its disk moved aside.
     */
    @Test
    void coldMigrationAndResizeSucceedWhileRoundsRunAndNovasHostBecomesThePrimary() throws Exception {
        server = cloud.bootGuest("beside-cold", "compute1", Map.of());
        awaitStatus("ACTIVE");
        agents.protect(server, "compute1", ROUNDS);
        awaitRounds("compute1", 0);
        // compute3 runs no agent here: Nova, which picks a resize's host itself, must pick the other
        // agent's host (never the same one: allow_resize_to_same_host is off).
        cloud.enable("compute3", false);
        String resize = "{\"resize\": {\"flavorRef\": \"" + cloud.flavorId(LARGE) + "\"}}";

        coldMove("cold migration", "{\"migrate\": {\"host\": \"compute2\"}}", "migrate", "compute2", true);
        assertThat(flavor()).isEqualTo(GUEST);
        coldMove("resize (revert)", resize, "resize", "compute1", false);
        assertThat(flavor()).as("the flavor after a revert").isEqualTo(GUEST);
        coldMove("resize (confirm)", resize, "resize", "compute1", true);
        assertThat(flavor()).as("the flavor after a confirmed resize").isEqualTo(LARGE);

        long deleting = System.nanoTime();
        cloud.deleteAndWait(server);
        report.add(String.format("delete          gone from Nova in %d ms", (System.nanoTime() - deleting) / 1_000_000));
        server = null;
    }

    /**
     * One cold move by Nova (ACTION, recorded as NAME) to host TO, then its confirmation or its
     * revert, each checked in Nova's records, with the guest writing again and rounds going on from
     * the primary Nova's host makes.
     */
    private void coldMove(String what, String action, String name, String to, boolean confirm) throws Exception {
        String from = host();
        String flavor = flavor();
        // Nova powers the guest off before it copies the disk: every record acknowledged by now is on it.
        long acknowledged = Cloud.lastGuestLine(cloud.console(server), "record");
        long t0 = System.nanoTime();
        cloud.action(server, action);
        awaitStatus("VERIFY_RESIZE");
        long moved = (System.nanoTime() - t0) / 1_000_000;
        JsonNode record = newestAction(name);
        assertThat(record.path("message").isNull()).as("Nova's record of the %s: %s", what, record).isTrue();
        assertThat(host()).as("the host of %s awaiting its confirmation", what).isEqualTo(to);
        long resumed = awaitWritingAgain(acknowledged, what + " onto " + to);
        assertCapturesNothing(from, what);
        // The controller's next placement round: Nova names TO as the host now.
        agents.protect(server, to, ROUNDS);
        long version = awaitRounds(to, 0);
        String line = String.format("%-15s VERIFY_RESIZE on %s in %6d ms, resumed after record %d (acknowledged before: "
                + "%d); rounds from %s: version %d", what, to, moved, resumed, acknowledged, to, version);

        long t1 = System.nanoTime();
        if (confirm) {
            cloud.action(server, "{\"confirmResize\": null}");
            awaitStatus("ACTIVE");
            record = newestAction("confirmResize");
            assertThat(record.path("message").isNull()).as("Nova's record of the confirmation: %s", record).isTrue();
            assertThat(host()).as("the host of %s once confirmed", what).isEqualTo(to);
            long reached = awaitRounds(to, version);
            report.add(line + String.format("; confirmed ACTIVE in %d ms, rounds went on: version %d -> %d; bitmaps "
                    + "in its disk: %s", (System.nanoTime() - t1) / 1_000_000, version, reached, bitmaps(to)));
            return;
        }
        // Nova destroys the guest on TO and starts it again on FROM, from the disk it kept there:
        // what the guest wrote on TO is gone, what it had acknowledged before the move is not.
        cloud.action(server, "{\"revertResize\": null}");
        awaitStatus("ACTIVE");
        record = newestAction("revertResize");
        assertThat(record.path("message").isNull()).as("Nova's record of the revert: %s", record).isTrue();
        assertThat(host()).as("the host of %s once reverted", what).isEqualTo(from);
        assertThat(flavor()).as("the flavor of %s once reverted", what).isEqualTo(flavor);
        long reverted = (System.nanoTime() - t1) / 1_000_000;
        long again = awaitWritingAgain(acknowledged, "revert onto " + from);
        assertCapturesNothing(to, "the revert");
        agents.protect(server, from, ROUNDS);
        long reached = awaitRounds(from, 0);
        report.add(line + String.format("; reverted ACTIVE on %s in %d ms, resumed after record %d, rounds from %s: "
                + "version %d; bitmaps in its disk: %s", from, reverted, again, from, reached, bitmaps(from)));
    }

    /**
     * Waits until the guest's console (on its current host) shows a boot that found at least
     * record ACKNOWLEDGED on its disk and has written since; returns the record that boot resumed
     * after. An earlier boot's lines in the same log found less: the guest wrote on after them.
     */
    private long awaitWritingAgain(long acknowledged, String what) {
        long[] resumed = {-1};
        await("the guest writing again after the " + what + ", from record " + acknowledged + " or later").atMost(STEP)
                .pollInterval(Duration.ofMillis(500)).until(() -> {
                    String log = cloud.console(server);
                    resumed[0] = Cloud.lastGuestLine(log, "resume");
                    return resumed[0] >= acknowledged && Cloud.lastGuestLine(log, "record") > resumed[0];
                });
        return resumed[0];
    }

    /**
     * The agent of HOST, still the VM's primary though Nova moved the VM away, makes no version for
     * three rounds' time: its rounds fail (the domain there is shut off or gone), so no delta of a
     * disk the VM no longer runs from reaches a secondary.
     */
    private void assertCapturesNothing(String host, String what) throws Exception {
        long before = primaryVersion(host);
        Thread.sleep(ROUNDS.multipliedBy(3).toMillis());
        PrimaryStatus p = agents.client(host).primaries().stream().filter(s -> s.vm().equals(server)).findFirst()
                .orElseThrow(() -> new IllegalStateException(host + " is not the primary of " + server));
        assertThat(p.version()).as("%s's version after the %s moved the VM away", host, what).isEqualTo(before);
        assertThat(p.lastError()).as("%s's last round after the %s moved the VM away", host, what).isNotNull();
    }

    /**
     * The dirty bitmaps in the VM's disk on HOST, for the report: a checkpoint's bitmap lives in the
     * qcow2 file, so Nova's copy carries the old host's along, and a revert returns to a disk
     * holding the bitmap of the rounds before the move. Read shared (-U), beside the running guest.
     */
    private String bitmaps(String host) {
        Path disk = cloud.state().resolve("hosts").resolve(host).resolve("instances").resolve(server.toString())
                .resolve("disk");
        try {
            JsonNode info = new com.fasterxml.jackson.databind.ObjectMapper().readTree(Cloud.run(List.of("qemu-img",
                    "info", "-U", "--output=json", disk.toString())));
            List<String> names = new ArrayList<>();
            info.path("format-specific").path("data").path("bitmaps").forEach(b -> names.add(b.path("name").asText()));
            return names.toString();
        } catch (IOException | RuntimeException e) {
            return "unreadable (" + e.getMessage() + ")";
        }
    }

    private String host() {
        return cloud.server(server).path("OS-EXT-SRV-ATTR:host").asText();
    }

    /** The name of the server's flavor (embedded in the server since 2.47). */
    private String flavor() {
        return cloud.server(server).path("flavor").path("original_name").asText();
    }

    /**
     * Asks Nova for ACTION, waits until the server is in STATUS with no task, and checks Nova's
     * record of it ended without an error. With {@code version >= 0}, rounds must then go on past
     * it: returns the primary's version they reached.
     */
    private long operate(String what, String action, String name, String status, long version) {
        long t0 = System.nanoTime();
        cloud.action(server, action);
        return operated(what, name, status, version, t0);
    }

    /** The rest of {@link #operate}, for an action asked at T0. */
    private long operated(String what, String name, String status, long version, long t0) {
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

    /**
     * A snapshot (createImage). Nova's live snapshot does not wait for a block job: its block copy
     * fails while a round's backup holds the disk ("disk 'vda' has a blockjob assigned", or
     * "already in active block job"). The agents begin no round while Nova's snapshots folder
     * shows a snapshot beginning, so only a round already under way when Nova began, and still
     * running a second later at its copy, can meet it (README, failure modes). That collision,
     * and only it, is reported and the snapshot asked once more, as an operator would.
     */
    private long snapshot(long version) {
        String action = "{\"createImage\": {\"name\": \"" + Cloud.PREFIX + "snapshot\"}}";
        long t0 = System.nanoTime();
        cloud.action(server, action);
        awaitStatus("ACTIVE");
        JsonNode record = newestAction("createImage");
        if (record.path("message").isNull()) {
            return operated("snapshot", "createImage", "ACTIVE", version, t0);
        }
        // Since 2.84 an event's details carry the exception's message, not only its traceback.
        String events = cloud.nova.get("/servers/" + server + "/os-instance-actions/"
                + record.path("request_id").asText(), EVENT_DETAILS).toString();
        assertThat(events).as("why the snapshot failed, as Nova recorded it").containsPattern("block ?job");
        report.add("snapshot        collided with a round's backup (Nova: the disk is in a block job); asked again");
        return operate("snapshot", action, "createImage", "ACTIVE", version);
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
