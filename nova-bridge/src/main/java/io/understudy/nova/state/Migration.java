package io.understudy.nova.state;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;
import java.util.Optional;
import java.util.UUID;

/**
 * One of Nova's migration records: a live migration, an evacuation, a cold migration or a resize.
 *
 * @param type Nova's {@code migration_type}: "live-migration", "evacuation", "migration" or "resize"
 * @param status Nova's status; a live migration ends "completed", "error", "failed" or "cancelled";
 *     an evacuation is "done" once the server runs on the target and "completed" once the source
 *     compute has come back and removed what it had of the server
 */
public record Migration(long id, UUID instanceUuid, String type, String status, Optional<String> sourceCompute,
        Optional<String> destCompute, Instant createdAt, Optional<Instant> updatedAt) {

    public static final String LIVE_MIGRATION = "live-migration";
    public static final String EVACUATION = "evacuation";

    public Migration {
        requireNonNull(instanceUuid, "instanceUuid is null");
        requireNonNull(type, "type is null");
        requireNonNull(status, "status is null");
        requireNonNull(sourceCompute, "sourceCompute is null");
        requireNonNull(destCompute, "destCompute is null");
        requireNonNull(createdAt, "createdAt is null");
        requireNonNull(updatedAt, "updatedAt is null");
    }

    /** Reads one entry of {@code GET /os-migrations} at 2.59 or later. */
    public static Migration fromJson(JsonNode migration) {
        return new Migration(
                NovaJson.member(migration, "id").asLong(),
                NovaJson.uuid(migration, "instance_uuid"),
                NovaJson.text(migration, "migration_type"),
                NovaJson.text(migration, "status"),
                NovaJson.optionalText(migration, "source_compute"),
                NovaJson.optionalText(migration, "dest_compute"),
                NovaJson.instant(migration, "created_at"),
                NovaJson.optionalInstant(migration, "updated_at"));
    }
}
