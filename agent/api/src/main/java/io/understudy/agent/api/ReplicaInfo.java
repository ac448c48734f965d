package io.understudy.agent.api;

import java.time.Instant;
import java.util.UUID;

/**
 * {@code GET /v1/replicas}: a replica this node holds. {@code version} counts the deltas applied;
 * {@code lagSeconds} is how old the newest guest state it holds is (-1 before the first delta);
 * {@code manifest} names that content (hex SHA-256, see the delta package's Manifest).
 */
public record ReplicaInfo(UUID vm, long version, double lagSeconds, long bytes, int chainLength, String primary,
        Instant capturedAt, String manifest) {}
