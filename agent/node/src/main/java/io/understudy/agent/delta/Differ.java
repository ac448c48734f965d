package io.understudy.agent.delta;

import io.understudy.agent.qcow2.BackingChain;
import io.understudy.agent.qcow2.MapEntry;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * Finds the new components of NEW against OLD (CLAIM.md, step 1) and writes them to a delta.
 *
 * <p>Which clusters are even looked at depends on how the two relate:
 * <ul>
 *   <li>NEW's backing chain contains OLD (OLD plus overlay layers, the usual case): only clusters
 *       allocated in the layers above OLD; the cost follows the change, not the disk;</li>
 *   <li>no OLD (a seed for an empty disk): the clusters of NEW that hold data;</li>
 *   <li>unrelated files: every cluster that holds data in either.</li>
 * </ul>
 * Each candidate is then compared byte for byte with OLD at the same offset: equal content is not
 * new (a rewrite with the same bytes), all zeros travel as a zero record, the rest as data.
 */
public final class Differ {

    private Differ() {}

    /** How the diff related the two images, for operators and tests. */
    public enum Mode { SEED, ABOVE_OLD, FULL_COMPARE }

    public static Mode mode(BackingChain oldChain, BackingChain newChain) throws IOException {
        if (oldChain == null) {
            return Mode.SEED;
        }
        return newChain.depthOf(oldChain.top().path()) >= 0 ? Mode.ABOVE_OLD : Mode.FULL_COMPARE;
    }

    /** Writes every new component of {@code newChain} to {@code out}; {@code oldChain} null = empty disk. */
    public static DeltaStats diff(BackingChain oldChain, BackingChain newChain, DeltaWriter out) throws IOException {
        DeltaHeader header = out.header();
        int clusterSize = header.clusterSize();
        ClusterScan.Runs runs = switch (mode(oldChain, newChain)) {
            case SEED -> ClusterScan.runs(newChain, clusterSize, MapEntry::data);
            case ABOVE_OLD -> {
                int depth = newChain.depthOf(oldChain.top().path());
                yield ClusterScan.runs(newChain, clusterSize, e -> e.present() && e.depth() < depth);
            }
            case FULL_COMPARE -> ClusterScan.union(
                    ClusterScan.runs(newChain, clusterSize, MapEntry::data),
                    ClusterScan.runs(oldChain, clusterSize, MapEntry::data));
        };
        byte[] newBytes = new byte[clusterSize];
        byte[] oldBytes = new byte[clusterSize];
        long examined = 0;
        long clusterCount = header.clusterCount();
        for (long[] run = runs.next(); run != null; run = runs.next()) {
            long end = Math.min(run[1], clusterCount);
            for (long c = run[0]; c < end; c++) {
                examined++;
                int n = header.clusterLength(c);
                long offset = c * clusterSize;
                newChain.read(offset, ByteBuffer.wrap(newBytes, 0, n));
                boolean same;
                if (oldChain == null) {
                    same = ClusterScan.isZero(newBytes, n);
                } else {
                    oldChain.read(offset, ByteBuffer.wrap(oldBytes, 0, n));
                    same = Arrays.equals(newBytes, 0, n, oldBytes, 0, n);
                }
                if (same) {
                    continue;
                }
                if (ClusterScan.isZero(newBytes, n)) {
                    out.zero(c);
                } else {
                    out.data(c, ByteBuffer.wrap(newBytes, 0, n));
                }
            }
        }
        return out.finish(examined);
    }
}
