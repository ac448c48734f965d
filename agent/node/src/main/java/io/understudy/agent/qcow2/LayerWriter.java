package io.understudy.agent.qcow2;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Writes a new qcow2 v3 overlay layer: a backing file plus the clusters it is given, in ascending
 * guest order, streamed. Memory holds the L1 table and one L2 table, whatever the disk's size.
 *
 * <p>Layout: the header in cluster 0, then data clusters and each L2 table as it fills, then the
 * L1 table, the refcount table and its blocks, every cluster with refcount 1. The header is written
 * last, so a file cut short never reads as a complete image; callers make it visible only after
 * {@link #finish()} and an fsync.
 */
public final class LayerWriter {

    private static final int REFCOUNT_ORDER = 4;
    private static final int HEADER_LENGTH = 112;

    private final FileChannel out;
    private final long virtualSize;
    private final int clusterBits;
    private final int clusterSize;
    private final int l2Entries;
    private final String backingFile;
    private final String backingFormat;
    private final long[] l1;
    private final long clusterCount;

    private long nextFree = 1;
    private long lastCluster = -1;
    private int currentL2 = -1;
    private long[] l2;
    private boolean finished;

    /**
     * @param out           an empty file opened for writing
     * @param backingFile   the name to record (relative names resolve from the layer's directory), or null
     * @param backingFormat "qcow2" or "raw"; libvirt refuses chains without one
     */
    public LayerWriter(FileChannel out, long virtualSize, int clusterBits, String backingFile, String backingFormat) {
        if (clusterBits < 9 || clusterBits > 21) {
            throw new IllegalArgumentException("cluster bits " + clusterBits + " outside 9..21");
        }
        if (virtualSize < 0 || virtualSize > Header.MAX_VIRTUAL_SIZE) {
            throw new IllegalArgumentException("virtual size " + virtualSize + " out of range");
        }
        this.out = out;
        this.virtualSize = virtualSize;
        this.clusterBits = clusterBits;
        this.clusterSize = 1 << clusterBits;
        this.l2Entries = clusterSize / 8;
        this.backingFile = backingFile;
        this.backingFormat = backingFormat;
        long l1Size = Header.ceilDiv(virtualSize, (long) clusterSize * l2Entries);
        if (l1Size * 8 > Header.MAX_L1_BYTES) {
            throw new IllegalArgumentException("a " + virtualSize + "-byte disk needs an L1 table over 32 MiB with "
                    + clusterSize + "-byte clusters");
        }
        this.l1 = new long[(int) l1Size];
        this.clusterCount = Header.ceilDiv(virtualSize, clusterSize);
        int nameBytes = backingFile == null ? 0 : backingFile.getBytes(StandardCharsets.UTF_8).length;
        if (nameBytes > Header.MAX_BACKING_NAME || headerBytes(nameBytes) > clusterSize) {
            throw new IllegalArgumentException("backing file name of " + nameBytes + " bytes does not fit in a "
                    + clusterSize + "-byte header cluster");
        }
    }

    /** Stores guest cluster {@code cluster}; {@code data} holds at most one cluster (less at the disk's end). */
    public void writeData(long cluster, ByteBuffer data) throws IOException {
        advanceTo(cluster);
        if (data.remaining() > clusterSize) {
            throw new IllegalArgumentException("cluster data of " + data.remaining() + " bytes");
        }
        long host = nextFree++ << clusterBits;
        int length = data.remaining();
        writeFully(data, host);
        if (length < clusterSize) {
            writeFully(ByteBuffer.allocate(clusterSize - length), host + length);
        }
        l2[(int) (cluster % l2Entries)] = host | Qcow2Image.OFLAG_COPIED;
    }

    /**
     * Marks {@code count} guest clusters from {@code first} as reading zeros, whatever lies below.
     * Costs an L2 entry per cluster: where nothing below holds data, {@link #skip} says the same
     * for free.
     */
    public void writeZeros(long first, long count) throws IOException {
        long end = run(first, count);
        long cluster = first;
        advanceTo(cluster);
        while (cluster < end) {
            if (cluster / l2Entries != currentL2) {
                selectL2(cluster);
            }
            int from = (int) (cluster % l2Entries);
            int to = (int) Math.min(l2Entries, from + (end - cluster));
            Arrays.fill(l2, from, to, Qcow2Image.OFLAG_ZERO);
            cluster += to - from;
        }
        lastCluster = end - 1;
    }

    /**
     * Leaves {@code count} guest clusters from {@code first} unallocated: they read as the backing
     * file does there, zeros without one. No table is made for them.
     */
    public void skip(long first, long count) {
        long end = run(first, count);
        if (finished) {
            throw new IllegalStateException("layer already finished");
        }
        if (first <= lastCluster) {
            throw new IllegalArgumentException("cluster " + first + " out of order");
        }
        lastCluster = end - 1;
    }

    /** The end of a run of clusters, checked to lie within the disk. */
    private long run(long first, long count) {
        long end = first + count;
        if (count <= 0 || first < 0 || end > clusterCount || end < first) {
            throw new IllegalArgumentException("run of clusters " + first + "+" + count + " outside the disk's "
                    + clusterCount + " clusters");
        }
        return end;
    }

    private void advanceTo(long cluster) throws IOException {
        if (finished) {
            throw new IllegalStateException("layer already finished");
        }
        if (cluster <= lastCluster || cluster >= clusterCount) {
            throw new IllegalArgumentException("cluster " + cluster + " out of order or past the disk's "
                    + clusterCount + " clusters");
        }
        lastCluster = cluster;
        if (cluster / l2Entries != currentL2) {
            selectL2(cluster);
        }
    }

    private void selectL2(long cluster) throws IOException {
        flushL2();
        currentL2 = (int) (cluster / l2Entries);
        l2 = new long[l2Entries];
    }

    private void flushL2() throws IOException {
        if (currentL2 < 0) {
            return;
        }
        long host = nextFree++ << clusterBits;
        ByteBuffer table = ByteBuffer.allocate(clusterSize).order(ByteOrder.BIG_ENDIAN);
        table.asLongBuffer().put(l2);
        writeFully(table, host);
        l1[currentL2] = host | Qcow2Image.OFLAG_COPIED;
        currentL2 = -1;
    }

    /** Writes the remaining metadata and the header. The caller fsyncs. */
    public void finish() throws IOException {
        flushL2();
        finished = true;
        long l1Offset = nextFree << clusterBits;
        long l1Clusters = Math.max(1, Header.ceilDiv(l1.length * 8L, clusterSize));
        ByteBuffer l1Table = ByteBuffer.allocate((int) (l1Clusters * clusterSize)).order(ByteOrder.BIG_ENDIAN);
        l1Table.asLongBuffer().put(l1);
        writeFully(l1Table, l1Offset);
        nextFree += l1Clusters;

        // Refcount blocks cover every cluster, themselves and the table included: find the fixed point.
        long perBlock = (long) clusterSize * 8 / (1 << REFCOUNT_ORDER);
        long tableClusters = 1;
        long blocks = 1;
        while (true) {
            long total = nextFree + tableClusters + blocks;
            long needBlocks = Header.ceilDiv(total, perBlock);
            long needTable = Header.ceilDiv(needBlocks * 8, clusterSize);
            if (needBlocks == blocks && needTable == tableClusters) {
                break;
            }
            blocks = needBlocks;
            tableClusters = needTable;
        }
        long tableOffset = nextFree << clusterBits;
        long firstBlock = nextFree + tableClusters;
        long total = firstBlock + blocks;
        ByteBuffer table = ByteBuffer.allocate((int) (tableClusters * clusterSize)).order(ByteOrder.BIG_ENDIAN);
        for (long b = 0; b < blocks; b++) {
            table.putLong((firstBlock + b) << clusterBits);
        }
        table.clear();
        writeFully(table, tableOffset);
        for (long b = 0; b < blocks; b++) {
            ByteBuffer block = ByteBuffer.allocate(clusterSize).order(ByteOrder.BIG_ENDIAN);
            long covered = Math.min(perBlock, total - b * perBlock);
            for (long i = 0; i < covered; i++) {
                block.putShort((short) 1);
            }
            block.clear();
            writeFully(block, (firstBlock + b) << clusterBits);
        }
        nextFree = total;
        writeHeader(l1Offset, tableOffset, tableClusters);
    }

    /** Bytes of cluster 0 in use: header, backing format extension, end marker, backing name. */
    private int headerBytes(int nameBytes) {
        int formatExt = backingFormat == null ? 0 : 8 + ((backingFormat.length() + 7) & ~7);
        return HEADER_LENGTH + formatExt + 8 + nameBytes;
    }

    private void writeHeader(long l1Offset, long refTableOffset, long refTableClusters) throws IOException {
        byte[] name = backingFile == null ? new byte[0] : backingFile.getBytes(StandardCharsets.UTF_8);
        ByteBuffer h = ByteBuffer.allocate(clusterSize).order(ByteOrder.BIG_ENDIAN);
        h.putInt(Header.MAGIC);
        h.putInt(3);
        h.putLong(backingFile == null ? 0 : headerBytes(name.length) - name.length);
        h.putInt(name.length);
        h.putInt(clusterBits);
        h.putLong(virtualSize);
        h.putInt(0); // no encryption
        h.putInt(l1.length);
        h.putLong(l1Offset);
        h.putLong(refTableOffset);
        h.putInt((int) refTableClusters);
        h.putInt(0); // no snapshots
        h.putLong(0);
        h.putLong(0); // incompatible features
        h.putLong(0); // compatible features
        h.putLong(0); // autoclear features
        h.putInt(REFCOUNT_ORDER);
        h.putInt(HEADER_LENGTH);
        h.position(HEADER_LENGTH); // compression type 0 (deflate) and padding
        if (backingFormat != null) {
            byte[] format = backingFormat.getBytes(StandardCharsets.US_ASCII);
            h.putInt(Header.EXT_BACKING_FORMAT);
            h.putInt(format.length);
            h.put(format);
            h.position(h.position() + ((8 - format.length % 8) % 8));
        }
        h.putInt(Header.EXT_END);
        h.putInt(0);
        h.put(name);
        h.clear();
        writeFully(h, 0);
    }

    private void writeFully(ByteBuffer src, long position) throws IOException {
        long pos = position;
        while (src.hasRemaining()) {
            pos += out.write(src, pos);
        }
    }
}
