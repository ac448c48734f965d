package io.understudy.agent.qcow2;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The stored refcount of each host cluster: refcount table → refcount blocks, entries of
 * 1 to 64 bits (below 8 bits, bit 0 is the least significant bit of its byte). Blocks that are
 * misaligned or outside the file read as unallocated; the check reports them.
 */
final class Refcounts {

    private final FileChannel channel;
    private final long fileSize;
    private final int clusterBits;
    private final int bits;
    private final long perBlock;
    private final long[] table;
    private final Map<Long, ByteBuffer> blocks = new LinkedHashMap<>(16, 0.75f, true) {
        private static final long serialVersionUID = 1L;

        @Override
        protected boolean removeEldestEntry(Map.Entry<Long, ByteBuffer> eldest) {
            return size() > 64;
        }
    };

    Refcounts(FileChannel channel, long fileSize, Header h) throws IOException {
        this.channel = channel;
        this.fileSize = fileSize;
        this.clusterBits = h.clusterBits();
        this.bits = h.refcountBits();
        this.perBlock = (long) h.clusterSize() * 8 / bits;
        this.table = Qcow2Image.readTable(channel, h.refcountTableOffset(),
                (int) ((long) h.refcountTableClusters() * h.clusterSize() / 8));
    }

    long[] table() {
        return table;
    }

    /** Clusters whose refcounts one refcount block holds. */
    long perBlock() {
        return perBlock;
    }

    /**
     * How many clusters below {@code end} have a non-zero refcount, counting no further than
     * {@code limit}. Only clusters under a refcount block can have one, so the walk follows the
     * blocks, not the file's length: a sparse file of terabytes costs what its blocks cover.
     */
    long countNonZero(long end, long limit) throws IOException {
        long counted = 0;
        for (int i = 0; i < table.length && (long) i * perBlock < end && counted < limit; i++) {
            if (block(i) == 0) {
                continue;
            }
            long stop = Math.min(end, (i + 1) * perBlock);
            for (long c = i * perBlock; c < stop && counted < limit; c++) {
                if (get(c) != 0) {
                    counted++;
                }
            }
        }
        return counted;
    }

    /** The refcount block of table entry {@code i}, or 0 when there is none or it cannot be one. */
    long block(int i) {
        long block = table[i] & ~511L;
        long clusterSize = 1L << clusterBits;
        if (block <= 0 || (block & (clusterSize - 1)) != 0 || block > fileSize - clusterSize) {
            return 0;
        }
        return block;
    }

    long get(long cluster) throws IOException {
        long tableIndex = cluster / perBlock;
        if (tableIndex >= table.length) {
            return 0;
        }
        long block = block((int) tableIndex);
        if (block == 0) {
            return 0;
        }
        ByteBuffer b = blocks.get(block);
        if (b == null) {
            b = ByteBuffer.allocate(1 << clusterBits).order(ByteOrder.BIG_ENDIAN);
            Qcow2Image.readFully(channel, b, block);
            blocks.put(block, b);
        }
        long index = cluster % perBlock;
        if (bits >= 8) {
            int bytes = bits / 8;
            long value = 0;
            for (int k = 0; k < bytes; k++) {
                value = (value << 8) | Byte.toUnsignedLong(b.get((int) (index * bytes) + k));
            }
            return value;
        }
        long bit = index * bits;
        int v = Byte.toUnsignedInt(b.get((int) (bit / 8)));
        return (v >>> (bit % 8)) & ((1 << bits) - 1);
    }
}
