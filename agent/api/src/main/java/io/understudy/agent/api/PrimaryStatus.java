package io.understudy.agent.api;

import java.time.Instant;
import java.util.List;
import java.util.UUID;

/**
 * {@code GET /v1/vms}: a VM this node is primary for, its last replication round and where each
 * secondary stands. {@code version} is the version the last round produced.
 *
 * @param baseImage         the image in the image cache that version 0 held (secondaries holding it
 *                          started from it); null when version 0 was an empty disk
 * @param unreplicatedDisks the VM's other disks, which are not replicated, as "TARGET (FILE)"
 */
public record PrimaryStatus(UUID vm, long version, Instant lastRound, double lastRoundSeconds, boolean lastRoundFull,
        String lastError, List<SecondaryStatus> secondaries, String baseImage, List<String> unreplicatedDisks) {

    public PrimaryStatus {
        secondaries = List.copyOf(secondaries);
        unreplicatedDisks = unreplicatedDisks == null ? List.of() : List.copyOf(unreplicatedDisks);
    }

    /** One secondary as the primary sees it: the version it acknowledged, and the last failure if any. */
    public record SecondaryStatus(String host, long version, boolean needsSeed, String lastError) {}
}
