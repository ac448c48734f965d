package io.understudy.agent.delta;

import io.understudy.agent.qcow2.BackingChain;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * The clusters where two disks' contents differ, found from their manifests alone (no disk is
 * read): a cluster diverged when one side holds data the other does not, or both hold data with
 * different hashes. They travel as runs, big-endian u64 pairs (first cluster, count), ascending
 * and not touching; {@link #decode} accepts nothing else, so a request names each cluster once.
 */
public final class Divergence {

    private static final int RUN_BYTES = 16;

    private Divergence() {}

    /** Runs of differing clusters, flattened: first, count, first, count, ... */
    public static long[] runs(ManifestFile.Reader a, ManifestFile.Reader b) throws IOException {
        if (a.summary().clusterSize() != b.summary().clusterSize()) {
            throw new BadDeltaException("manifests in units of " + a.summary().clusterSize() + " and "
                    + b.summary().clusterSize() + " bytes cannot be compared");
        }
        Runs runs = new Runs();
        a.next();
        b.next();
        while (a.cluster() != Long.MAX_VALUE || b.cluster() != Long.MAX_VALUE) {
            long c = Math.min(a.cluster(), b.cluster());
            if (a.cluster() != b.cluster() || !Arrays.equals(a.hash(), b.hash())) {
                runs.add(c);
            }
            if (a.cluster() == c) {
                a.next();
            }
            if (b.cluster() == c) {
                b.next();
            }
        }
        return runs.toArray();
    }

    /**
     * Writes {@code chain}'s content at the clusters of {@code runs} into {@code out}: data, or a
     * zero record where the cluster reads as zeros. Reads only those clusters.
     */
    public static DeltaStats write(BackingChain chain, long[] runs, DeltaWriter out) throws IOException {
        DeltaHeader h = out.header();
        if (chain.virtualSize() != h.newSize()) {
            throw new BadDeltaException("a disk of " + chain.virtualSize() + " bytes cannot fill a delta of "
                    + h.newSize());
        }
        byte[] buffer = new byte[h.clusterSize()];
        for (int i = 0; i < runs.length; i += 2) {
            for (long c = runs[i]; c < runs[i] + runs[i + 1]; c++) {
                int n = h.clusterLength(c);
                chain.read(c * h.clusterSize(), ByteBuffer.wrap(buffer, 0, n));
                if (ClusterScan.isZero(buffer, n)) {
                    out.zero(c);
                } else {
                    out.data(c, ByteBuffer.wrap(buffer, 0, n));
                }
            }
        }
        return out.finish(clusters(runs));
    }

    public static long clusters(long[] runs) {
        long n = 0;
        for (int i = 1; i < runs.length; i += 2) {
            n += runs[i];
        }
        return n;
    }

    public static byte[] encode(long[] runs) {
        ByteBuffer b = ByteBuffer.allocate(runs.length * Long.BYTES);
        for (long v : runs) {
            b.putLong(v);
        }
        return b.array();
    }

    /** Runs of a request, checked against a disk of {@code clusterCount} clusters. */
    public static long[] decode(byte[] body, long clusterCount) {
        if (body.length % RUN_BYTES != 0) {
            throw new BadDeltaException("cluster runs of " + body.length + " bytes: not whole 16-byte runs");
        }
        ByteBuffer b = ByteBuffer.wrap(body);
        long[] runs = new long[body.length / Long.BYTES];
        long end = -1;
        for (int i = 0; i < runs.length; i += 2) {
            long first = b.getLong();
            long count = b.getLong();
            if (first <= end || count <= 0 || first >= clusterCount || count > clusterCount - first) {
                throw new BadDeltaException("cluster run " + first + "+" + count + " is out of order, empty or past the"
                        + " disk's " + clusterCount + " clusters");
            }
            runs[i] = first;
            runs[i + 1] = count;
            end = first + count;
        }
        return runs;
    }

    /** The longest request body a disk of {@code clusterCount} clusters can need: every other cluster. */
    public static long maxBytes(long clusterCount) {
        return (clusterCount + 1) / 2 * RUN_BYTES;
    }

    private static final class Runs {
        private long[] values = new long[16];
        private int size;

        void add(long cluster) {
            if (size > 0 && values[size - 2] + values[size - 1] == cluster) {
                values[size - 1]++;
                return;
            }
            if (size == values.length) {
                values = Arrays.copyOf(values, size * 2);
            }
            values[size++] = cluster;
            values[size++] = 1;
        }

        long[] toArray() {
            return Arrays.copyOf(values, size);
        }
    }
}
