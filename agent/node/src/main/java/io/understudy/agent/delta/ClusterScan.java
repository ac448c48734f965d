package io.understudy.agent.delta;

import io.understudy.agent.qcow2.BackingChain;
import io.understudy.agent.qcow2.MapEntry;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.function.Predicate;

/**
 * Walks a chain's allocation map in cluster units, so that work follows what is allocated (or
 * changed) rather than the virtual size: a 2 TiB disk with 1 GiB written costs 1 GiB.
 */
final class ClusterScan {

    /** Ascending, disjoint runs of cluster indices, {@code [first, end)}. */
    interface Runs {
        /** The next run, or null at the end. */
        long[] next() throws IOException;
    }

    /** Consumes one cluster's guest bytes. */
    interface ClusterConsumer {
        void accept(long cluster, ByteBuffer data) throws IOException;
    }

    private static final byte[] ZEROS = new byte[DeltaHeader.MAX_CLUSTER];

    private ClusterScan() {}

    /** The clusters that some map entry accepted by {@code wanted} touches. */
    static Runs runs(BackingChain chain, int clusterSize, Predicate<MapEntry> wanted) {
        long size = chain.virtualSize();
        return new Runs() {
            private long pos;
            private long[] pending;

            @Override
            public long[] next() throws IOException {
                while (pos < size) {
                    MapEntry e = chain.resolve(pos, size - pos);
                    pos = e.end();
                    if (!wanted.test(e)) {
                        continue;
                    }
                    long first = e.start() / clusterSize;
                    long end = (e.end() - 1) / clusterSize + 1;
                    if (pending == null) {
                        pending = new long[] {first, end};
                    } else if (first <= pending[1]) {
                        pending[1] = Math.max(pending[1], end);
                    } else {
                        long[] done = pending;
                        pending = new long[] {first, end};
                        return done;
                    }
                }
                long[] done = pending;
                pending = null;
                return done;
            }
        };
    }

    /** Clusters in either source. */
    static Runs union(Runs a, Runs b) throws IOException {
        return new Runs() {
            private long[] ra = a.next();
            private long[] rb = b.next();

            @Override
            public long[] next() throws IOException {
                if (ra == null && rb == null) {
                    return null;
                }
                long[] run;
                if (rb == null || (ra != null && ra[0] <= rb[0])) {
                    run = ra.clone();
                    ra = a.next();
                } else {
                    run = rb.clone();
                    rb = b.next();
                }
                while (true) {
                    if (ra != null && ra[0] <= run[1]) {
                        run[1] = Math.max(run[1], ra[1]);
                        ra = a.next();
                    } else if (rb != null && rb[0] <= run[1]) {
                        run[1] = Math.max(run[1], rb[1]);
                        rb = b.next();
                    } else {
                        return run;
                    }
                }
            }
        };
    }

    /** Every cluster that holds a non-zero byte, with its bytes. */
    static void forEachNonZero(BackingChain chain, int clusterSize, ClusterConsumer consumer) throws IOException {
        Runs runs = runs(chain, clusterSize, MapEntry::data);
        byte[] buf = new byte[clusterSize];
        long size = chain.virtualSize();
        for (long[] run = runs.next(); run != null; run = runs.next()) {
            for (long c = run[0]; c < run[1]; c++) {
                int n = (int) Math.min(clusterSize, size - c * clusterSize);
                ByteBuffer data = ByteBuffer.wrap(buf, 0, n);
                chain.read(c * clusterSize, data);
                if (!isZero(buf, n)) {
                    consumer.accept(c, ByteBuffer.wrap(buf, 0, n));
                }
            }
        }
    }

    static boolean isZero(byte[] b, int n) {
        return Arrays.mismatch(b, 0, n, ZEROS, 0, n) < 0;
    }
}
