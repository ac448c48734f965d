package io.understudy.scheduler.detect;

import static java.util.Objects.requireNonNull;

import java.time.Instant;
import java.util.Map;
import java.util.Optional;

/**
 * One listing of Nova's nova-compute services, as detection needs it.
 *
 * @param readAt when the answer arrived, by this controller's clock
 * @param updatedAt per host with a nova-compute service, its last report ({@code updated_at}; empty: never)
 */
public record NovaReports(Instant readAt, Map<String, Optional<Instant>> updatedAt) {

    public NovaReports {
        requireNonNull(readAt, "readAt is null");
        updatedAt = Map.copyOf(requireNonNull(updatedAt, "updatedAt is null"));
    }

    /** The latest report of any nova-compute: Nova's own idea of now, give or take a report interval. */
    Optional<Instant> freshest() {
        return updatedAt.values().stream().flatMap(Optional::stream).max(Instant::compareTo);
    }
}
