package io.understudy.scheduler.rules;

import static java.util.Objects.requireNonNull;

import java.time.Duration;

/**
 * The knobs of a rules file's {@code policy:} section.
 *
 * @param replicas secondaries each protected VM should have
 * @param replicationInterval how often a primary sends its changes to its secondaries
 * @param maxReplicaLag a secondary whose replica is further behind is not eligible as a target
 * @param cooldown after a rule-driven move, the VM is not moved again for this long (a failed
 *     host's VMs are moved regardless, DESIGN.md section 4)
 * @param maxMovesAtOnce moves decided in one round at most
 * @param whenPrimaryAlive live-migrate or none
 * @param whenPrimaryDown evacuate or none
 */
public record Policy(int replicas, Duration replicationInterval, Duration maxReplicaLag, Duration cooldown,
        int maxMovesAtOnce, MoveAction whenPrimaryAlive, MoveAction whenPrimaryDown) {

    public static final Policy DEFAULT = new Policy(2, Duration.ofSeconds(30), Duration.ofMinutes(2),
            Duration.ofMinutes(15), 2, MoveAction.LIVE_MIGRATE, MoveAction.EVACUATE);

    public Policy {
        requireNonNull(replicationInterval, "replicationInterval is null");
        requireNonNull(maxReplicaLag, "maxReplicaLag is null");
        requireNonNull(cooldown, "cooldown is null");
        requireNonNull(whenPrimaryAlive, "whenPrimaryAlive is null");
        requireNonNull(whenPrimaryDown, "whenPrimaryDown is null");
        if (replicas < 1) {
            throw new IllegalArgumentException("replicas must be at least 1");
        }
        if (maxMovesAtOnce < 0) {
            throw new IllegalArgumentException("maxMovesAtOnce must not be negative");
        }
        if (whenPrimaryAlive == MoveAction.EVACUATE) {
            throw new IllegalArgumentException("whenPrimaryAlive cannot be evacuate: a working primary still runs the VM");
        }
        if (whenPrimaryDown == MoveAction.LIVE_MIGRATE) {
            throw new IllegalArgumentException("whenPrimaryDown cannot be live-migrate: Nova cannot live-migrate off a down compute");
        }
    }
}
