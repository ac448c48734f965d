package io.understudy.agent.libvirt;

import io.understudy.agent.nbd.Extent;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

/**
 * Turns block-status extents into ascending, disjoint runs of whole clusters {@code [first, end)}:
 * an extent that is wanted (dirty, or holding data) makes every cluster it touches wanted, so a
 * 4 KiB write in a 64 KiB cluster brings the whole cluster along.
 */
final class ClusterRuns {

    private final int clusterSize;
    private final Predicate<Extent> wanted;
    private final List<long[]> runs = new ArrayList<>();
    private long wantedBytes;

    ClusterRuns(int clusterSize, Predicate<Extent> wanted) {
        if (Integer.bitCount(clusterSize) != 1) {
            throw new IllegalArgumentException("cluster size " + clusterSize + " is not a power of two");
        }
        this.clusterSize = clusterSize;
        this.wanted = wanted;
    }

    /** Extents must come in ascending order, as block status gives them. */
    void add(Extent e) {
        if (!wanted.test(e)) {
            return;
        }
        wantedBytes += e.length();
        long first = e.offset() / clusterSize;
        long end = (e.end() - 1) / clusterSize + 1;
        long[] last = runs.isEmpty() ? null : runs.get(runs.size() - 1);
        if (last != null && first < last[0]) {
            throw new IllegalArgumentException("extent at " + e.offset() + " comes after one ending at cluster " + last[1]);
        }
        if (last != null && first <= last[1]) {
            last[1] = Math.max(last[1], end);
        } else {
            runs.add(new long[] {first, end});
        }
    }

    /** The runs so far, and forgets them (the bytes counted stay). */
    List<long[]> drain() {
        List<long[]> done = List.copyOf(runs);
        runs.clear();
        return done;
    }

    /** Bytes of wanted extents seen, before rounding out to clusters: the "dirty bytes" of a round. */
    long wantedBytes() {
        return wantedBytes;
    }
}
