package io.understudy.scheduler.config;

import static java.util.Objects.requireNonNull;

import io.understudy.nova.action.ActionSettings;
import java.util.Map;

/**
 * How moves are carried out ({@code moves:}).
 *
 * @param actions the bridge's limits: {@code moves.serviceDownTime} (Nova's {@code service_down_time};
 *     must match the cloud's, an evacuation waits for that much silence of the source),
 *     {@code liveMigrationTimeout}, {@code liveMigrationTimeoutPerGiB}, {@code onTimeout} (abort or
 *     force-complete), {@code settleTimeout}, {@code evacuationTimeout}, {@code requestAttempts},
 *     {@code retryWait}/{@code retryMaxWait} (between attempts), {@code pollWait}/{@code pollMaxWait}
 *     (between reads while following a move)
 * @param finalSync {@code moves.finalSync}: a replication round on the old primary before a live migration
 * @param defaultFence {@code moves.fencing.default}: how a host is fenced unless named below
 * @param fences {@code moves.fencing.hosts}: per compute host, how it is fenced
 */
public record MovesConfig(ActionSettings actions, boolean finalSync, FenceMethod defaultFence,
        Map<String, FenceMethod> fences) {

    public static final MovesConfig DEFAULT = new MovesConfig(ActionSettings.DEFAULTS, true, FenceMethod.NOVA_DOWN,
            Map.of());

    public MovesConfig {
        requireNonNull(actions, "actions is null");
        requireNonNull(defaultFence, "defaultFence is null");
        fences = Map.copyOf(requireNonNull(fences, "fences is null"));
    }
}
