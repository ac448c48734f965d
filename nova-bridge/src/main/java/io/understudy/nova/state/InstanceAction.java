package io.understudy.nova.state;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;

/**
 * One line of a server's action log, as Horizon shows it.
 *
 * @param action Nova's name: "create", "live-migration", "evacuate", ...
 */
public record InstanceAction(String action, String requestId, Instant startTime) {

    public InstanceAction {
        requireNonNull(action, "action is null");
        requireNonNull(requestId, "requestId is null");
        requireNonNull(startTime, "startTime is null");
    }

    /** Reads one entry of {@code GET /servers/{id}/os-instance-actions}. */
    public static InstanceAction fromJson(JsonNode action) {
        return new InstanceAction(
                NovaJson.text(action, "action"),
                NovaJson.text(action, "request_id"),
                NovaJson.instant(action, "start_time"));
    }
}
