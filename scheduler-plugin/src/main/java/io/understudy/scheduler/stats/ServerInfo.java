package io.understudy.scheduler.stats;

import static java.util.Objects.requireNonNull;

import io.understudy.scheduler.rules.Rules;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * A server from Nova's listing, with what protection and rules need.
 *
 * @param host empty while Nova has not placed it (or it is shelved)
 * @param flavor the flavor's name (2.47+ embeds it as {@code original_name})
 * @param metadata the server's metadata, which its project's members set
 * @param extraSpecs its flavor's extra specs, which only an admin sets (2.47+ embeds them; an empty
 *        map when Nova's policy hides them from the controller)
 */
public record ServerInfo(UUID id, String name, String status, Optional<String> host, String flavor, int diskGib,
        Map<String, String> metadata, Map<String, String> extraSpecs) {

    public ServerInfo {
        requireNonNull(id, "id is null");
        requireNonNull(name, "name is null");
        requireNonNull(status, "status is null");
        requireNonNull(host, "host is null");
        requireNonNull(flavor, "flavor is null");
        metadata = Map.copyOf(metadata);
        extraSpecs = Map.copyOf(extraSpecs);
    }

    public boolean isProtectedBy(Rules rules) {
        return rules.isProtected(id, metadata, flavor, extraSpecs);
    }
}
