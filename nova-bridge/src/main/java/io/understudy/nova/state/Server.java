package io.understudy.nova.state;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Optional;
import java.util.UUID;

/**
 * A server as Nova sees it.
 *
 * @param status Nova's status: ACTIVE, BUILD, MIGRATING, REBUILD, ERROR, SHUTOFF, ...
 * @param host the compute host it is on (admins see it), empty before scheduling
 * @param taskState what Nova is doing to it right now, empty when nothing
 */
public record Server(UUID id, String name, String status, Optional<String> host, Optional<String> taskState) {

    public Server {
        requireNonNull(id, "id is null");
        requireNonNull(name, "name is null");
        requireNonNull(status, "status is null");
        requireNonNull(host, "host is null");
        requireNonNull(taskState, "taskState is null");
    }

    /** Reads the {@code server} of {@code GET /servers/{id}}. */
    public static Server fromJson(JsonNode server) {
        return new Server(
                NovaJson.uuid(server, "id"),
                NovaJson.text(server, "name"),
                NovaJson.text(server, "status"),
                NovaJson.optionalText(server, "OS-EXT-SRV-ATTR:host"),
                NovaJson.optionalText(server, "OS-EXT-STS:task_state"));
    }
}
