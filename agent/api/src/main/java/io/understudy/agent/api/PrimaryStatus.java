package io.understudy.agent.api;

import java.time.Instant;
import java.util.List;
import java.util.UUID;

/**
 * {@code GET /v1/vms}: a VM this node is primary for, its last replication round and where each
 * secondary stands. {@code version} is the version the last round produced.
 */
public record PrimaryStatus(UUID vm, long version, Instant lastRound, double lastRoundSeconds, boolean lastRoundFull,
        String lastError, List<SecondaryStatus> secondaries) {

    public PrimaryStatus {
        secondaries = List.copyOf(secondaries);
    }

    /** One secondary as the primary sees it: the version it acknowledged, and the last failure if any. */
    public record SecondaryStatus(String host, long version, boolean needsSeed, String lastError) {}
}
