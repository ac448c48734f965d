package io.understudy.scheduler.round;

import static java.util.Objects.requireNonNull;

import io.understudy.scheduler.evaluate.Breaches;
import java.time.Instant;
import java.util.Map;
import java.util.UUID;

/**
 * What one round hands to the next: ongoing breaches (hysteresis) and when each VM was last
 * moved by a rule (cooldowns).
 */
public record RoundState(Breaches breaches, Map<UUID, Instant> lastMoves) {

    public static final RoundState INITIAL = new RoundState(Breaches.NONE, Map.of());

    public RoundState {
        requireNonNull(breaches, "breaches is null");
        lastMoves = Map.copyOf(lastMoves);
    }
}
