package io.understudy.agent.delta;

import io.understudy.agent.qcow2.BackingChain;
import io.understudy.agent.qcow2.MapEntry;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;

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
 *
 * <p>Reading and comparing run on one thread while hashing and writing the delta run on the
 * caller's: the two halves cost about the same, and a node has more than one core.
 */
public final class Differ {

    private static final int IN_FLIGHT = 32;

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
        int clusterSize = out.header().clusterSize();
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
        Comparer comparer = new Comparer(oldChain, newChain, runs, out.header());
        Thread reader = new Thread(comparer, "understudy-diff-reader");
        reader.setDaemon(true);
        reader.start();
        try {
            while (true) {
                Change change = comparer.changes.take();
                if (change.failure instanceof IOException io) {
                    throw io;
                }
                if (change.failure instanceof RuntimeException re) {
                    throw re;
                }
                if (change.cluster < 0) {
                    return out.finish(change.length);
                }
                if (change.data == null) {
                    out.zero(change.cluster);
                } else {
                    out.data(change.cluster, ByteBuffer.wrap(change.data, 0, (int) change.length));
                    comparer.free.put(change.data);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("diff interrupted");
        } finally {
            reader.interrupt();
        }
    }

    /**
     * One new component, or the end: {@code cluster} -1 with {@code length} the clusters examined;
     * {@code data} null for a zero cluster.
     */
    private record Change(long cluster, byte[] data, long length, Exception failure) {}

    /** Reads candidates from both chains and passes on the clusters whose content changed. */
    private static final class Comparer implements Runnable {
        final BlockingQueue<Change> changes = new ArrayBlockingQueue<>(IN_FLIGHT);
        final BlockingQueue<byte[]> free = new ArrayBlockingQueue<>(IN_FLIGHT + 1);
        private final BackingChain oldChain;
        private final BackingChain newChain;
        private final ClusterScan.Runs runs;
        private final DeltaHeader header;

        Comparer(BackingChain oldChain, BackingChain newChain, ClusterScan.Runs runs, DeltaHeader header) {
            this.oldChain = oldChain;
            this.newChain = newChain;
            this.runs = runs;
            this.header = header;
            for (int i = 0; i <= IN_FLIGHT; i++) {
                free.add(new byte[header.clusterSize()]);
            }
        }

        @Override
        public void run() {
            Change last;
            try {
                last = new Change(-1, null, compareAll(), null);
            } catch (InterruptedException e) {
                return; // the consumer gave up and interrupted us
            } catch (IOException | RuntimeException e) {
                last = new Change(-1, null, 0, e);
            }
            try {
                changes.put(last);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        private long compareAll() throws IOException, InterruptedException {
            int clusterSize = header.clusterSize();
            byte[] oldBytes = new byte[clusterSize];
            long examined = 0;
            long clusterCount = header.clusterCount();
            for (long[] run = runs.next(); run != null; run = runs.next()) {
                long end = Math.min(run[1], clusterCount);
                for (long c = run[0]; c < end; c++) {
                    examined++;
                    int n = header.clusterLength(c);
                    long offset = c * clusterSize;
                    byte[] newBytes = free.take();
                    newChain.read(offset, ByteBuffer.wrap(newBytes, 0, n));
                    boolean same;
                    if (oldChain == null) {
                        same = ClusterScan.isZero(newBytes, n);
                    } else {
                        oldChain.read(offset, ByteBuffer.wrap(oldBytes, 0, n));
                        same = Arrays.equals(newBytes, 0, n, oldBytes, 0, n);
                    }
                    if (same) {
                        free.put(newBytes);
                    } else if (ClusterScan.isZero(newBytes, n)) {
                        free.put(newBytes);
                        changes.put(new Change(c, null, 0, null));
                    } else {
                        changes.put(new Change(c, newBytes, n, null));
                    }
                }
            }
            return examined;
        }
    }
}
