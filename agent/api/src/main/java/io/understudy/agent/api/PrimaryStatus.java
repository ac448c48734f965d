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
 * @param state             {@value #REPLICATING}, or {@value #STOPPED} when the VM's domain changed in
 *                          a way the agent cannot follow: no rounds until it is protected again, and
 *                          the secondaries keep the version they hold
 * @param reason            why it stopped; null while replicating
 */
public record PrimaryStatus(UUID vm, long version, Instant lastRound, double lastRoundSeconds, boolean lastRoundFull,
        String lastError, List<SecondaryStatus> secondaries, String baseImage, List<String> unreplicatedDisks,
        String state, String reason) {

    public static final String REPLICATING = "replicating";
    public static final String STOPPED = "stopped";

    public PrimaryStatus {
        secondaries = List.copyOf(secondaries);
        unreplicatedDisks = unreplicatedDisks == null ? List.of() : List.copyOf(unreplicatedDisks);
        // An agent from before stopped protections always replicated.
        state = state == null ? REPLICATING : state;
    }

    /** One secondary as the primary sees it: the version it acknowledged, and the last failure if any. */
    public record SecondaryStatus(String host, long version, boolean needsSeed, String lastError) {}
}
