package io.understudy.agent.replication;

import io.understudy.agent.delta.DeltaStats;
import io.understudy.agent.delta.DeltaWriter;
import io.understudy.agent.delta.ManifestFile;
import io.understudy.agent.libvirt.ClusterSink;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;

/**
 * The primary's half of CLAIM.md step 1, fed by a live capture: each captured cluster is hashed
 * and compared with the previous version's manifest at that index; it is a new component when the
 * hash differs, a zero record when it became zeros where there was data, and nothing otherwise.
 * Clusters the capture does not report are unchanged. The next manifest is written as it goes,
 * streamed like the previous one, so memory stays flat for any disk. A seed for a secondary that
 * cannot catch up from the deltas kept can be written in the same pass: every cluster that differs
 * from the seed's base, the empty disk (a secondary that starts over) or the version this primary
 * started from (a former primary rolled back to it).
 */
final class RoundSink implements ClusterSink {

    private final ManifestFile.Reader previous;
    private final ManifestFile.Writer next;
    private final DeltaWriter delta;
    private final DeltaWriter seed;
    private final ManifestFile.Reader seedBase;
    private final MessageDigest sha256;
    private final long clusterCount;
    private final byte[] zeros;
    private long last = -1;
    private long examined;

    /**
     * {@code seed} and {@code seedBase} (the content the seed applies to) are both null or both
     * not; the manifest readers are positioned before their first entries.
     */
    RoundSink(ManifestFile.Reader previous, ManifestFile.Writer next, DeltaWriter delta, DeltaWriter seed,
            ManifestFile.Reader seedBase) throws IOException {
        this.previous = previous;
        this.next = next;
        this.delta = delta;
        this.seed = seed;
        this.seedBase = seedBase;
        this.clusterCount = delta.header().clusterCount();
        this.zeros = new byte[delta.header().clusterSize()];
        try {
            this.sha256 = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime has SHA-256", e);
        }
        previous.next();
        if (seedBase != null) {
            seedBase.next();
        }
    }

    @Override
    public void data(long cluster, ByteBuffer bytes) throws IOException {
        order(cluster, 1);
        examined++;
        carryBelow(cluster);
        byte[] old = null;
        if (previous.cluster() == cluster) {
            old = previous.hash().clone();
            previous.next();
        }
        int n = bytes.remaining();
        if (bytes.mismatch(ByteBuffer.wrap(zeros, 0, n)) < 0) {
            if (old != null) {
                delta.zero(cluster);
            }
            if (seed != null && baseHolds(cluster)) {
                seed.zero(cluster);
            }
            return;
        }
        sha256.update(bytes.duplicate());
        byte[] hash = sha256.digest();
        next.add(cluster, hash);
        if (old == null || !Arrays.equals(old, hash)) {
            delta.data(cluster, bytes.duplicate(), hash);
        }
        if (seed != null && !(baseHolds(cluster) && Arrays.equals(seedBase.hash(), hash))) {
            seed.data(cluster, bytes.duplicate(), hash);
        }
    }

    /** Moves the seed's base to {@code cluster}; whether it holds data there. */
    private boolean baseHolds(long cluster) throws IOException {
        while (seedBase.cluster() < cluster) {
            seedBase.next();
        }
        return seedBase.cluster() == cluster;
    }

    @Override
    public void zeros(long first, long count) throws IOException {
        order(first, count);
        carryBelow(first);
        while (previous.cluster() < first + count) {
            delta.zero(previous.cluster());
            previous.next();
        }
        if (seed != null) {
            baseHolds(first);
            while (seedBase.cluster() < first + count) {
                seed.zero(seedBase.cluster());
                seedBase.next();
            }
        }
    }

    /** Carries the unreported rest over and finishes both writers; returns the delta's figures. */
    Result finish() throws IOException {
        carryBelow(clusterCount);
        // Entries past a shrunken disk's end simply end here; the delta's size says the rest.
        DeltaStats stats = delta.finish(examined);
        if (seed != null) {
            seed.finish(examined);
        }
        return new Result(stats, next.finish());
    }

    record Result(DeltaStats stats, byte[] manifest) {}

    private void carryBelow(long cluster) throws IOException {
        while (previous.cluster() < cluster) {
            next.add(previous.cluster(), previous.hash());
            if (seed != null) {
                throw new IllegalStateException("a seed needs a full capture, but cluster " + previous.cluster()
                        + " was not reported");
            }
            previous.next();
        }
    }

    private void order(long first, long count) {
        if (first <= last || count <= 0 || first + count > clusterCount) {
            throw new IllegalStateException("capture reported clusters " + first + "+" + count + " out of order (after "
                    + last + ") or past the disk's " + clusterCount);
        }
        last = first + count - 1;
    }
}
