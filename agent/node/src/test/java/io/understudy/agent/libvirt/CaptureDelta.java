package io.understudy.agent.libvirt;

import io.understudy.agent.delta.DeltaStats;
import io.understudy.agent.delta.DeltaWriter;
import io.understudy.agent.delta.Manifest;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Objects;
import java.util.TreeMap;

/**
 * Captured clusters to a delta (CLAIM.md, step 1): a cluster is a new component when its SHA-256
 * differs from the previous version's at that index. An all-zero cluster is a zero record, and
 * only where the previous version held data there; a cluster the capture rewrote with the same
 * bytes, or zeros where there were zeros, costs nothing on the wire.
 *
 * <p>The previous version is its per-cluster hashes: index to SHA-256 of every cluster that is not
 * all zeros (what {@link Manifest} hashes). For a seed above a base image the secondary holds,
 * pass the base's hashes: clusters that still equal the base are then not shipped.
 */
final class CaptureDelta implements ClusterSink {

    /** The delta's totals, and the version the delta reaches: its per-cluster hashes and manifest hash. */
    public record Result(DeltaStats stats, NavigableMap<Long, byte[]> hashes, byte[] manifest) {}

    private final DeltaWriter out;
    private final NavigableMap<Long, byte[]> hashes;
    private final MessageDigest sha256;
    private final long clusterCount;
    /** Compared against in bulk: ByteBuffer.mismatch is vectorised where a loop is not. */
    private final ByteBuffer zeros;
    private long examined;

    /** {@code previous} is not changed; the new version's hashes start as a copy of it. */
    public CaptureDelta(DeltaWriter out, Map<Long, byte[]> previous) {
        this.out = Objects.requireNonNull(out, "out");
        this.hashes = new TreeMap<>(previous);
        this.clusterCount = out.header().clusterCount();
        this.zeros = ByteBuffer.allocate(out.header().clusterSize());
        try {
            this.sha256 = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("this JDK has no SHA-256", e);
        }
    }

    /** The manifest hash of a version given by its per-cluster hashes (for a delta header's base). */
    public static byte[] manifest(int clusterSize, long virtualSize, Map<Long, byte[]> hashes) {
        Manifest m = new Manifest(clusterSize, virtualSize);
        new TreeMap<>(hashes).forEach(m::add);
        return m.finish();
    }

    @Override
    public void data(long cluster, ByteBuffer bytes) throws IOException {
        examined++;
        if (isZero(bytes)) {
            zero(cluster);
            return;
        }
        sha256.update(bytes.duplicate());
        byte[] hash = sha256.digest();
        byte[] before = hashes.get(cluster);
        if (before == null || !MessageDigest.isEqual(before, hash)) {
            out.data(cluster, bytes.duplicate());
            hashes.put(cluster, hash);
        }
    }

    @Override
    public void zeros(long first, long count) throws IOException {
        examined += count;
        NavigableMap<Long, byte[]> had = hashes.subMap(first, true, first + count, false);
        for (long cluster : had.keySet().toArray(Long[]::new)) {
            zero(cluster);
        }
    }

    private void zero(long cluster) throws IOException {
        if (hashes.remove(cluster) != null) {
            out.zero(cluster);
        }
    }

    /** Ends the delta; hashes past the new size (a disk that shrank) are dropped from the result. */
    public Result finish() throws IOException {
        DeltaStats stats = out.finish(examined);
        hashes.tailMap(clusterCount, true).clear();
        int clusterSize = out.header().clusterSize();
        return new Result(stats, hashes, manifest(clusterSize, out.header().newSize(), hashes));
    }

    private boolean isZero(ByteBuffer b) {
        return b.mismatch(zeros.duplicate().limit(b.remaining())) < 0;
    }
}
