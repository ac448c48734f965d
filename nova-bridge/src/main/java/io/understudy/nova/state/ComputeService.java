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
 * @param disabledReason why it is disabled, as whoever disabled it wrote it (Nova keeps none once enabled)
 * @param up Nova's {@code state}: whether its last report is younger than {@code service_down_time};
 *     a forced-down service is never up
 * @param updatedAt when it last reported
 */
public record ComputeService(UUID id, String host, boolean enabled, Optional<String> disabledReason, boolean up,
        boolean forcedDown, Optional<Instant> updatedAt) {

    /**
     * How every disabled_reason Understudy writes begins: the mark by which a disable is known as
     * Understudy's own, to be lifted by it, and not an operator's, to be left alone.
     */
    public static final String UNDERSTUDY_REASON = "Understudy: ";

    public ComputeService {
        requireNonNull(id, "id is null");
        requireNonNull(host, "host is null");
        requireNonNull(disabledReason, "disabledReason is null");
        requireNonNull(updatedAt, "updatedAt is null");
    }

    /** Reads one entry of {@code GET /os-services} at 2.53 or later. */
    public static ComputeService fromJson(JsonNode service) {
        return new ComputeService(
                NovaJson.uuid(service, "id"),
                NovaJson.text(service, "host"),
                "enabled".equals(NovaJson.text(service, "status")),
                NovaJson.optionalText(service, "disabled_reason"),
                "up".equals(NovaJson.text(service, "state")),
                NovaJson.member(service, "forced_down").asBoolean(),
                NovaJson.optionalInstant(service, "updated_at"));
    }

    /** Whether it is disabled with a reason Understudy wrote (after a failover), not an operator's. */
    public boolean disabledByUnderstudy() {
        return !enabled && disabledReason.filter(r -> r.startsWith(UNDERSTUDY_REASON)).isPresent();
    }

    /** "enabled", or "disabled: REASON" as Nova has it. */
    public String status() {
        return enabled ? "enabled" : "disabled: " + disabledReason.orElse("(no reason given)");
    }

    /**
     * Whether it has not reported for longer than SILENCE at NOW (or never did). Forced down, Nova
     * calls a service down whatever it does; its last report still tells whether it lives.
     */
    public boolean silentFor(Duration silence, Instant now) {
        return updatedAt.map(last -> last.plus(silence).isBefore(now)).orElse(true);
    }
}
