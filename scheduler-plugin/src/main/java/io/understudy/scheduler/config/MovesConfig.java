package io.understudy.scheduler.config;

import static java.util.Objects.requireNonNull;

import io.understudy.nova.action.ActionSettings;
import io.understudy.agent.api.Hold;
import java.time.Duration;
import java.util.Map;

/**
 * How moves are carried out ({@code moves:}).
 *
 * @param actions the bridge's limits: {@code liveMigrationTimeout}, {@code liveMigrationTimeoutPerGiB},
 *     {@code onTimeout} (abort or force-complete), {@code settleTimeout}, {@code evacuationTimeout},
 *     {@code requestAttempts}, {@code retryWait}/{@code retryMaxWait} (between attempts),
 *     {@code pollWait}/{@code pollMaxWait} (between reads while following a move)
 * @param serviceDownTime {@code moves.serviceDownTime}: Nova's {@code service_down_time}, which must match
 *     the cloud's; only the {@code nova-down} fencer uses it (it waits for that much silence of the host)
 * @param finalSync {@code moves.finalSync}: a replication round on the old primary before a live migration
 *     (off by default: it adds the round, 0.3-0.8 s, to every migration, and only freshens the holders
 *     by the time the migration takes, which Nova's block migration itself carries)
 * @param holdFor {@code moves.holdFor}: how long the old primary's rounds stay held for a live migration
 *     when no controller ends the hold (one gone mid-move); at most two hours
 * @param defaultFence {@code moves.fencing.default}: how a host is fenced unless named below
 * @param fences {@code moves.fencing.hosts}: per compute host, how it is fenced
 * @param confirmedFor {@code moves.fencing.confirmedFor}: how long an operator's {@code fence confirm HOST}
 *     stands as the proof for failovers from that host (unless its agent answers again first)
 */
public record MovesConfig(ActionSettings actions, Duration serviceDownTime, boolean finalSync, Duration holdFor,
        FenceConfig defaultFence, Map<String, FenceConfig> fences, Duration confirmedFor) {

    public static final MovesConfig DEFAULT = new MovesConfig(ActionSettings.DEFAULTS, Duration.ofSeconds(60), false,
            Duration.ofMinutes(30), new FenceConfig.NovaDown(), Map.of(), Duration.ofMinutes(30));

    public MovesConfig {
        requireNonNull(actions, "actions is null");
        requireNonNull(serviceDownTime, "serviceDownTime is null");
        requireNonNull(holdFor, "holdFor is null");
        if (holdFor.isNegative() || holdFor.isZero() || holdFor.compareTo(Hold.MAX_LEASE) > 0) {
            throw new IllegalArgumentException("moves.holdFor " + holdFor + " is not between 0 and " + Hold.MAX_LEASE);
        }
        requireNonNull(defaultFence, "defaultFence is null");
        if (defaultFence instanceof FenceConfig.Redfish) {
            throw new IllegalArgumentException("moves.fencing.default: redfish needs each host's own BMC");
        }
        fences = Map.copyOf(requireNonNull(fences, "fences is null"));
        requireNonNull(confirmedFor, "confirmedFor is null");
    }
}
