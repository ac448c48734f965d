package io.understudy.agent.delta;

import io.understudy.agent.qcow2.BackingChain;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.security.MessageDigest;

/**
 * Names a disk's guest content by one hash: SHA-256 over the cluster size, the virtual size and,
 * for every cluster that is not all zeros, in ascending order, its index and the SHA-256 of its
 * bytes. Two disks with the same content have the same manifest hash however their layers and
 * allocation differ; the replica store keeps the per-cluster hashes so it never rereads a disk.
 */
public final class Manifest {

    public static final int HASH_BYTES = 32;
    private static final byte[] MAGIC = {'U', 'S', 'M', 'A', 'N', 'I', 'F', '1'};

    private final MessageDigest digest = DeltaFormat.sha256();
    private final ByteBuffer entry = ByteBuffer.allocate(8);
    private long last = -1;

    /** Starts a manifest hash; feed it every non-zero cluster's hash in ascending order. */
    public Manifest(int clusterSize, long virtualSize) {
        ByteBuffer h = ByteBuffer.allocate(MAGIC.length + 12);
        h.put(MAGIC).putInt(clusterSize).putLong(virtualSize);
        digest.update(h.array());
    }

    public void add(long cluster, byte[] sha256) {
        if (cluster <= last) {
            throw new IllegalArgumentException("cluster " + cluster + " after " + last);
        }
        last = cluster;
        entry.clear();
        entry.putLong(cluster);
        digest.update(entry.array());
        digest.update(sha256);
    }

    public byte[] finish() {
        return digest.digest();
    }

    /** The manifest hash of a whole disk, read through its chain in units of {@code clusterSize}. */
    public static byte[] of(BackingChain chain, int clusterSize) throws IOException {
        Manifest m = new Manifest(clusterSize, chain.virtualSize());
        MessageDigest cluster = DeltaFormat.sha256();
        ClusterScan.forEachNonZero(chain, clusterSize, (index, data) -> {
            cluster.update(data);
            m.add(index, cluster.digest());
        });
        return m.finish();
    }
}
