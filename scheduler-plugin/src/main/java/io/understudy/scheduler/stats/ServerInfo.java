package io.understudy.scheduler.stats;

import static java.util.Objects.requireNonNull;

import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * A server from Nova's listing, with what protection and rules need.
 *
 * @param host empty while Nova has not placed it (or it is shelved)
 * @param flavor the flavor's name (2.47+ embeds it as {@code original_name})
 */
public record ServerInfo(UUID id, String name, String status, Optional<String> host, String flavor, int diskGib,
        Map<String, String> metadata) {

    public ServerInfo {
        requireNonNull(id, "id is null");
        requireNonNull(name, "name is null");
        requireNonNull(status, "status is null");
        requireNonNull(host, "host is null");
        requireNonNull(flavor, "flavor is null");
        metadata = Map.copyOf(metadata);
    }
}
