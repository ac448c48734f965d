package io.understudy.nova.state;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.UUID;

/**
 * A nova-compute service as Nova sees it.
 *
 * @param id the service's UUID (what force-down addresses from 2.53 on)
 * @param up Nova's {@code state}: whether its last report is younger than {@code service_down_time};
 *     a forced-down service is never up
 * @param updatedAt when it last reported
 */
public record ComputeService(UUID id, String host, boolean enabled, boolean up, boolean forcedDown,
        Optional<Instant> updatedAt) {

    public ComputeService {
        requireNonNull(id, "id is null");
        requireNonNull(host, "host is null");
        requireNonNull(updatedAt, "updatedAt is null");
    }

    /** Reads one entry of {@code GET /os-services} at 2.53 or later. */
    public static ComputeService fromJson(JsonNode service) {
        return new ComputeService(
                NovaJson.uuid(service, "id"),
                NovaJson.text(service, "host"),
                "enabled".equals(NovaJson.text(service, "status")),
                "up".equals(NovaJson.text(service, "state")),
                NovaJson.member(service, "forced_down").asBoolean(),
                NovaJson.optionalInstant(service, "updated_at"));
    }

    /**
     * Whether it has not reported for longer than SILENCE at NOW (or never did). Forced down, Nova
     * calls a service down whatever it does; its last report still tells whether it lives.
     */
    public boolean silentFor(Duration silence, Instant now) {
        return updatedAt.map(last -> last.plus(silence).isBefore(now)).orElse(true);
    }
}
