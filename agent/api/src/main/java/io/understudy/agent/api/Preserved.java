package io.understudy.agent.api;

import java.time.Instant;
import java.util.UUID;

/**
 * {@code GET /v1/preserved}: the disk of a VM this node was primary for, kept in the agent's data
 * directory by hard links so that a returning nova-compute, which deletes the disks of instances
 * evacuated away, cannot take it; and how its way back as a secondary went.
 *
 * <ul>
 * <li>{@code PRESERVED}: kept. While the instance disk is the same file, a safety copy of a VM
 *     that may run here; once Nova deleted it, waiting for an assignment as SECONDARY, and the node
 *     answers 503 for the VM's replica meanwhile, so that the new primary waits instead of seeding
 *     it;</li>
 * <li>{@code REJOINING}: rolling back to the new primary's starting version;</li>
 * <li>{@code REJOINED}: the replica holds that version, the preserved files are gone, and the new
 *     primary's deltas take it on;</li>
 * <li>{@code FAILED}: given up (see {@code lastError}); the files are gone and the next round seeds
 *     it as any new secondary.</li>
 * </ul>
 *
 * @param bytes    bytes of the preserved files
 * @param rejoined the figures of the roll-back, once REJOINED
 */
public record Preserved(UUID vm, State state, Instant preservedAt, long bytes, String lastError, Rejoined rejoined) {

    public enum State { PRESERVED, REJOINING, REJOINED, FAILED }

    /**
     * The roll-back to {@code version}, the version the new primary started from: clusters whose
     * content differed from it ({@code divergedClusters}), the data bytes fetched for them, and
     * every byte that crossed the network for it (manifest, request and stream framing included).
     */
    public record Rejoined(String primary, long version, long divergedClusters, long payloadBytes, long wireBytes,
            double seconds) {}
}
