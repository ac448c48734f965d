package io.understudy.nova.state;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** Nova's answers as the single-machine cloud (Nova 26) gives them. */
class StateJsonTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void readsAComputeServiceAt253() throws Exception {
        ComputeService service = ComputeService.fromJson(JSON.readTree("""
                {"id": "93704665-ea3b-42c4-8b54-a1882f549773", "binary": "nova-compute", "disabled_reason": null,
                 "host": "compute2", "state": "down", "status": "enabled", "updated_at": "2026-11-29T05:55:38.000000",
                 "forced_down": true, "zone": "nova"}
                """));

        assertThat(service).isEqualTo(new ComputeService(UUID.fromString("93704665-ea3b-42c4-8b54-a1882f549773"),
                "compute2", true, Optional.empty(), false, true, Optional.of(Instant.parse("2026-11-29T05:55:38Z"))));
    }

    @Test
    void knowsUnderstudysOwnDisableFromAnOperators() throws Exception {
        String json = """
                {"id": "93704665-ea3b-42c4-8b54-a1882f549773", "host": "compute2", "state": "down",
                 "status": "disabled", "disabled_reason": "%s", "forced_down": true, "updated_at": null}
                """;
        ComputeService ours = ComputeService.fromJson(JSON.readTree(json.formatted(
                "Understudy: failover of vm compute2 -> compute3 at 2026-11-29T05:55:38Z")));
        ComputeService operators = ComputeService.fromJson(JSON.readTree(json.formatted("RAM replaced, ticket 42")));

        assertThat(ours.disabledByUnderstudy()).isTrue();
        assertThat(operators.disabledByUnderstudy()).isFalse();
        assertThat(operators.status()).isEqualTo("disabled: RAM replaced, ticket 42");
    }

    @Test
    void readsAMigrationAt259() throws Exception {
        Migration migration = Migration.fromJson(JSON.readTree("""
                {"created_at": "2026-11-29T05:55:43.000000", "dest_compute": "compute3", "dest_host": null,
                 "dest_node": "compute3", "id": 2, "instance_uuid": "3890a6fb-1ae6-48ba-a9df-ce9fff575b63",
                 "new_instance_type_id": 1, "old_instance_type_id": 1, "source_compute": "compute2",
                 "source_node": "compute2", "status": "done", "updated_at": null, "migration_type": "evacuation",
                 "uuid": "f1c0b3a4-1111-4c2e-9d7e-2a5e8e6f0b11"}
                """));

        assertThat(migration).isEqualTo(new Migration(2, UUID.fromString("3890a6fb-1ae6-48ba-a9df-ce9fff575b63"),
                Migration.EVACUATION, "done", Optional.of("compute2"), Optional.of("compute3"),
                Instant.parse("2026-11-29T05:55:43Z"), Optional.empty()));
    }

    @Test
    void readsAServerAndItsActions() throws Exception {
        Server server = Server.fromJson(JSON.readTree("""
                {"id": "3890a6fb-1ae6-48ba-a9df-ce9fff575b63", "name": "understudy-it-moves", "status": "MIGRATING",
                 "OS-EXT-SRV-ATTR:host": "compute1", "OS-EXT-STS:task_state": "migrating",
                 "OS-EXT-SRV-ATTR:kernel_id": "9a187fff-d672-4ea7-87ce-3faaab979c6f", "OS-EXT-SRV-ATTR:ramdisk_id": "",
                 "flavor": {"vcpus": 1, "ram": 64, "disk": 1, "ephemeral": 0, "swap": 0,
                            "original_name": "understudy.tiny", "extra_specs": {}}}
                """));
        InstanceAction action = InstanceAction.fromJson(JSON.readTree("""
                {"action": "evacuate", "instance_uuid": "3890a6fb-1ae6-48ba-a9df-ce9fff575b63",
                 "request_id": "req-2b9bd1ab", "user_id": "u", "project_id": "p",
                 "start_time": "2026-11-29T05:55:43.000000+00:00", "message": null}
                """));

        assertThat(server).isEqualTo(new Server(UUID.fromString("3890a6fb-1ae6-48ba-a9df-ce9fff575b63"),
                "understudy-it-moves", "MIGRATING", Optional.of("compute1"), Optional.of("migrating"), 64,
                Optional.of("9a187fff-d672-4ea7-87ce-3faaab979c6f"), Optional.empty()));
        assertThat(server.settledOn("compute1")).isFalse();
        assertThat(action).isEqualTo(new InstanceAction("evacuate", "req-2b9bd1ab", Instant.parse("2026-11-29T05:55:43Z"),
                Optional.empty(), List.of()));
    }

    @Test
    void readsWhyAnActionFailedAt284() throws Exception {
        InstanceAction action = InstanceAction.fromJson(JSON.readTree("""
                {"action": "live-migration", "instance_uuid": "3890a6fb-1ae6-48ba-a9df-ce9fff575b63",
                 "request_id": "req-9", "user_id": "u", "project_id": "p", "message": "Error",
                 "start_time": "2026-11-29T05:55:43.000000", "updated_at": "2026-11-29T05:55:44.000000",
                 "events": [
                   {"event": "conductor_live_migrate_instance", "start_time": "2026-11-29T05:55:43.000000",
                    "finish_time": "2026-11-29T05:55:44.000000", "result": "Error",
                    "details": "No valid host was found. There are not enough hosts available."},
                   {"event": "compute_check_can_live_migrate_destination", "result": "Success", "details": null}]}
                """));

        assertThat(action.message()).contains("Error");
        assertThat(action.failure()).contains(
                "conductor_live_migrate_instance: No valid host was found. There are not enough hosts available.");
    }

    @Test
    void knowsWhenEachKindOfMoveHasEnded() {
        for (String status : List.of("accepted", "queued", "preparing", "running", "post-migrating")) {
            assertThat(migration(Migration.LIVE_MIGRATION, status).ended()).as(status).isFalse();
        }
        for (String status : List.of("completed", "error", "failed", "cancelled")) {
            assertThat(migration(Migration.LIVE_MIGRATION, status).ended()).as(status).isTrue();
        }
        for (String status : List.of("accepted", "pre-migrating")) {
            assertThat(migration(Migration.EVACUATION, status).ended()).as(status).isFalse();
        }
        assertThat(migration(Migration.EVACUATION, "done").succeeded()).as("done: on its target").isTrue();
        assertThat(migration(Migration.EVACUATION, "completed").succeeded()).isTrue();
        assertThat(migration(Migration.LIVE_MIGRATION, "done").ended()).isFalse();
        assertThat(migration(Migration.EVACUATION, "failed").succeeded()).isFalse();
        assertThat(migration("resize", "finished").ended()).as("awaiting confirmation").isFalse();
        assertThat(migration("migration", "confirmed").ended()).isTrue();
    }

    @Test
    void aForcedDownServiceThatStillReportsIsNotSilent() {
        Instant lastReport = Instant.parse("2026-11-29T05:55:38Z");
        ComputeService service = new ComputeService(UUID.randomUUID(), "compute2", true, Optional.empty(), false, true,
                Optional.of(lastReport));

        assertThat(service.silentFor(Duration.ofSeconds(10), lastReport.plusSeconds(10))).isFalse();
        assertThat(service.silentFor(Duration.ofSeconds(10), lastReport.plusSeconds(11))).isTrue();
        assertThat(new ComputeService(UUID.randomUUID(), "compute3", true, Optional.empty(), false, false, Optional.empty())
                .silentFor(Duration.ofSeconds(10), lastReport)).as("never reported").isTrue();
    }

    private static Migration migration(String type, String status) {
        return new Migration(1, UUID.randomUUID(), type, status, Optional.of("compute1"), Optional.of("compute2"),
                Instant.parse("2026-11-29T05:55:43Z"), Optional.empty());
    }

    @Test
    void aMalformedAnswerIsNamedNotMisread() throws Exception {
        JsonNode noId = JSON.readTree("{\"host\": \"compute1\", \"status\": \"enabled\", \"state\": \"up\", \"forced_down\": false}");
        JsonNode integerId = JSON.readTree("{\"id\": 7, \"host\": \"compute1\", \"status\": \"enabled\", \"state\": \"up\", \"forced_down\": false}");
        JsonNode badTime = JSON.readTree("{\"action\": \"create\", \"request_id\": \"r\", \"start_time\": \"yesterday\"}");

        assertThatThrownBy(() -> ComputeService.fromJson(noId))
                .isInstanceOf(IllegalStateException.class).hasMessageStartingWith("Nova's answer lacks 'id': ");
        assertThatThrownBy(() -> ComputeService.fromJson(integerId))
                .as("below 2.53 services have integer ids, which force-down no longer accepts")
                .hasMessage("Nova's 'id' is not a UUID: '7'");
        assertThatThrownBy(() -> InstanceAction.fromJson(badTime))
                .hasMessage("Nova's 'start_time' is not a time: 'yesterday'");
    }
}
