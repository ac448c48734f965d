package io.understudy.nova.state;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;

/**
 * One of Nova's migration records: a live migration, an evacuation, a cold migration or a resize.
 *
 * @param id Nova's integer id, also the one {@code /servers/{id}/migrations/{mid}} takes
 * @param type Nova's {@code migration_type}: "live-migration", "evacuation", "migration" or "resize"
 * @param status Nova's status; a live migration goes accepted, queued, preparing, running,
 *     post-migrating and ends "completed", "error", "failed" or "cancelled"; an evacuation goes
 *     accepted, pre-migrating and is "done" once the server runs on the target and "completed"
 *     once the source compute has come back and removed what it had of the server, or ends
 *     "error" (refused before any compute acted) or "failed"
 */
public record Migration(long id, UUID instanceUuid, String type, String status, Optional<String> sourceCompute,
        Optional<String> destCompute, Instant createdAt, Optional<Instant> updatedAt) {

    public static final String LIVE_MIGRATION = "live-migration";
    public static final String EVACUATION = "evacuation";

    public static final String COMPLETED = "completed";
    public static final String DONE = "done";
    public static final String CANCELLED = "cancelled";
    public static final String ERROR = "error";
    public static final String FAILED = "failed";

    private static final Set<String> LIVE_MIGRATION_ENDS = Set.of(COMPLETED, ERROR, FAILED, CANCELLED);
    private static final Set<String> EVACUATION_ENDS = Set.of(DONE, COMPLETED, ERROR, FAILED);
    /** A cold migration or resize is "finished" while it awaits confirmation, and ends confirmed or reverted. */
    private static final Set<String> RESIZE_ENDS = Set.of("confirmed", "reverted", ERROR, FAILED);

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

    public boolean isLiveMigration() {
        return type.equals(LIVE_MIGRATION);
    }

    public boolean isEvacuation() {
        return type.equals(EVACUATION);
    }

    /**
     * Whether Nova has stopped working on it: a live migration that ended either way, an evacuation
     * that put the server on its target ("done") or failed, a cold migration or resize confirmed,
     * reverted or failed.
     */
    public boolean ended() {
        if (isLiveMigration()) {
            return LIVE_MIGRATION_ENDS.contains(status);
        }
        return isEvacuation() ? EVACUATION_ENDS.contains(status) : RESIZE_ENDS.contains(status);
    }

    /** Whether it put the server on its destination. */
    public boolean succeeded() {
        return status.equals(COMPLETED) || isEvacuation() && status.equals(DONE);
    }

    /** "live-migration 12 compute1 -> compute2 running". */
    public String describe() {
        return type + " " + id + " " + sourceCompute.orElse("?") + " -> " + destCompute.orElse("?") + " " + status;
    }
}
