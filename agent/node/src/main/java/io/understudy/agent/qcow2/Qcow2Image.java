package io.understudy.agent.qcow2;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * One qcow2 file, read-only: its guest clusters through the active L1/L2 tables. Backing files
 * are the chain's business ({@link BackingChain}); this class answers for its own layer only.
 */
public final class Qcow2Image implements DiskImage {

    static final long L1E_OFFSET_MASK = 0x00ff_ffff_ffff_fe00L;
    static final long L2E_OFFSET_MASK = 0x00ff_ffff_ffff_fe00L;
    static final long OFLAG_COPIED = 1L << 63;
    static final long OFLAG_COMPRESSED = 1L << 62;
    static final long OFLAG_ZERO = 1L;

    /** How one (sub)cluster reads, as QEMU's qcow2 driver classifies it. */
    enum Kind { UNALLOCATED_PLAIN, UNALLOCATED_ALLOC, ZERO_PLAIN, ZERO_ALLOC, NORMAL, COMPRESSED }

    private static final long L2_CACHE_BYTES = 32L << 20;

    private final Path path;
    private final FileChannel channel;
    private final long fileSize;
    private final Header header;
    private final long[] l1;
    private final Map<Long, long[]> l2Cache;
    private final Compression compression;
    private final FileHoles holes;
    private Boolean metadataPreallocation;
    private long cachedCluster = -1;
    private byte[] cachedClusterData;

    private Qcow2Image(Path path, FileChannel channel, long fileSize, Header header, long[] l1, FileHoles holes) {
        this.path = path;
        this.holes = holes;
        this.channel = channel;
        this.fileSize = fileSize;
        this.header = header;
        this.l1 = l1;
        int maxTables = (int) Math.max(4, L2_CACHE_BYTES / header.clusterSize());
        this.l2Cache = new LinkedHashMap<>(16, 0.75f, true) {
            private static final long serialVersionUID = 1L;

            @Override
            protected boolean removeEldestEntry(Map.Entry<Long, long[]> eldest) {
                return size() > maxTables;
            }
        };
        this.compression = new Compression(path, header.compressionType(), header.clusterSize());
    }

    /** Opens and validates {@code path}; refuses what it must not read with a {@link BadImageException}. */
    public static Qcow2Image open(Path path) throws IOException {
        FileChannel channel = FileChannel.open(path, StandardOpenOption.READ);
        try {
            long fileSize = channel.size();
            ByteBuffer probe = ByteBuffer.allocate((int) Math.min(fileSize, Header.V3_HEADER_LENGTH + 8));
            readFully(channel, probe, 0);
            probe.flip();
            int clusterSize = 1 << 16;
            if (probe.remaining() >= 24) {
                int bits = probe.getInt(20);
                if (bits >= 9 && bits <= 21) {
                    clusterSize = 1 << bits;
                }
            }
            ByteBuffer first = ByteBuffer.allocate((int) Math.min(fileSize, clusterSize));
            readFully(channel, first, 0);
            first.flip();
            Header header = Header.parse(path, first, fileSize);
            long[] l1 = readTable(channel, header.l1TableOffset(), header.l1Size());
            return new Qcow2Image(path, channel, fileSize, header, l1, FileHoles.open(path));
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
    }

    public Header header() {
        return header;
    }

    @Override
    public Path path() {
        return path;
    }

    @Override
    public String format() {
        return "qcow2";
    }

    @Override
    public long virtualSize() {
        return header.virtualSize();
    }

    @Override
    public Optional<String> backingFile() {
        return header.backingFile();
    }

    @Override
    public Optional<String> backingFormat() {
        return header.backingFormat();
    }

    /**
     * The names of the persistent bitmaps the file's bitmap directory lists. QEMU writes that
     * directory when it opens the image, when it removes a bitmap and when it closes the image, so
     * under a running QEMU it lists the bitmaps the image came with, less those removed since:
     * not those created since.
     */
    public List<String> bitmapNames() throws IOException {
        if (header.bitmaps().isEmpty()) {
            return List.of();
        }
        Header.BitmapsExtension b = header.bitmaps().get();
        ByteBuffer dir = ByteBuffer.allocate((int) b.directorySize()).order(ByteOrder.BIG_ENDIAN);
        readFully(channel, dir, b.directoryOffset());
        BitmapDirectory read = BitmapDirectory.parse(dir.flip(), b.count());
        if (read.damage().isPresent()) {
            throw new BadImageException(path, read.damage().get());
        }
        return read.entries().stream().map(BitmapDirectory.Entry::name).toList();
    }

    long fileSize() {
        return fileSize;
    }

    FileChannel channel() {
        return channel;
    }

    long[] l1() {
        return l1;
    }

    @Override
    public Extent status(long offset, long maxBytes) throws IOException {
        long size = header.virtualSize();
        if (offset < 0 || maxBytes <= 0 || offset >= size) {
            throw new IllegalArgumentException("status(" + offset + ", " + maxBytes + ") outside " + size);
        }
        int clusterBits = header.clusterBits();
        long end = Math.min(size, offset + Math.min(maxBytes, size));
        long cluster = offset >>> clusterBits;
        long l1Index = cluster / header.l2Entries();
        long tableEnd = Math.min(end, ((l1Index + 1) * header.l2Entries()) << clusterBits);
        long l2Offset = l1Index < l1.length ? l2TableOffset((int) l1Index) : 0;
        if (l2Offset == 0) {
            return Extent.unallocated(tableEnd - offset);
        }
        long[] l2 = l2Table(l2Offset);
        int subclusterBits = header.extendedL2() ? clusterBits - 5 : clusterBits;
        long subclusterSize = 1L << subclusterBits;

        long firstSc = offset >>> subclusterBits;
        Kind kind = kindAt(l2, firstSc);
        long firstHost = hostOffsetAt(l2, firstSc, kind);
        long runEnd = (firstSc + 1) << subclusterBits;
        if (kind != Kind.COMPRESSED) {
            for (long sc = firstSc + 1; runEnd < tableEnd; sc++) {
                Kind next = kindAt(l2, sc);
                if (next != kind) {
                    break;
                }
                if (firstHost >= 0 && hostOffsetAt(l2, sc, next) != firstHost + ((sc - firstSc) << subclusterBits)) {
                    break;
                }
                runEnd += subclusterSize;
            }
        }
        long length = Math.min(runEnd, tableEnd) - offset;
        long inRun = offset - (firstSc << subclusterBits);
        long host = firstHost >= 0 ? firstHost + inRun : -1;
        return switch (kind) {
            case NORMAL -> metadataPreallocated() ? withFileHoles(length, host) : new Extent(length, true, false, host);
            case COMPRESSED -> new Extent(length, true, false, -1);
            case ZERO_PLAIN -> new Extent(length, false, true, -1);
            case ZERO_ALLOC -> new Extent(length, false, true, host);
            case UNALLOCATED_ALLOC -> new Extent(length, false, false, host);
            case UNALLOCATED_PLAIN -> Extent.unallocated(length);
        };
    }

    @Override
    public void readData(long offset, ByteBuffer dst) throws IOException {
        long pos = offset;
        while (dst.hasRemaining()) {
            Extent e = status(pos, dst.remaining());
            if (!e.data()) {
                throw new IllegalStateException(path + ": readData at " + pos + " outside a data extent");
            }
            ByteBuffer part = dst.slice(dst.position(), (int) e.length());
            if (e.hasOffset()) {
                readFully(channel, part, e.hostOffset());
            } else {
                byte[] cluster = compressedCluster(pos >>> header.clusterBits());
                part.put(cluster, (int) (pos & (header.clusterSize() - 1)), part.remaining());
            }
            dst.position(dst.position() + (int) e.length());
            pos += e.length();
        }
    }

    @Override
    public void close() throws IOException {
        if (holes != null) {
            holes.close();
        }
        channel.close();
    }

    /**
     * QEMU's guess (qcow2_detect_metadata_preallocation) that clusters were allocated without
     * being written: more clusters carry a refcount than the file occupies on disk. Then it asks
     * the file where its holes are, and reports data clusters over holes as reading zeros; we do
     * the same so that our map says what qemu-img map says. Partial-cluster writes leave such holes.
     */
    private boolean metadataPreallocated() throws IOException {
        if (metadataPreallocation == null) {
            long allocated = holes == null ? -1 : holes.allocatedBytes();
            boolean guess = false;
            if (allocated >= 0) {
                long realClusters = allocated / header.clusterSize();
                long threshold = Math.max(realClusters * 10 / 9, realClusters + 2);
                long end = Header.ceilDiv(fileSize, header.clusterSize());
                Refcounts refcounts = new Refcounts(channel, fileSize, header);
                // (QEMU walks every cluster of the file here: a sparse file of terabytes took
                // qemu-img map half a minute; we walk only what the refcount blocks cover)
                guess = refcounts.countNonZero(end, threshold) >= threshold;
            }
            metadataPreallocation = guess;
        }
        return metadataPreallocation;
    }

    /** A data run cut where the file's own data or hole run ends; holes read as zeros. */
    private Extent withFileHoles(long length, long host) {
        if (host >= fileSize) {
            return new Extent(length, true, true, host);
        }
        FileHoles.Run run = holes.run(host, length, fileSize);
        return new Extent(run.length(), true, run.hole(), host);
    }

    /** The L2 table offset of an L1 entry, validated: aligned, clear of the header, inside the file. */
    long l2TableOffset(int l1Index) {
        long entry = l1[l1Index];
        long offset = entry & L1E_OFFSET_MASK;
        if (offset == 0) {
            return 0;
        }
        if ((offset & (header.clusterSize() - 1)) != 0) {
            throw new BadImageException(path, "L2 table offset 0x" + Long.toHexString(offset)
                    + " is not cluster aligned (L1 index " + l1Index + ")");
        }
        if (offset < header.clusterSize()) {
            throw new BadImageException(path, "L2 table overlaps the header (L1 index " + l1Index + ")");
        }
        if (offset > fileSize - header.clusterSize()) {
            throw new BadImageException(path, "L2 table at 0x" + Long.toHexString(offset)
                    + " lies outside the file (L1 index " + l1Index + ")");
        }
        return offset;
    }

    long[] l2Table(long offset) throws IOException {
        long[] table = l2Cache.get(offset);
        if (table == null) {
            table = readTable(channel, offset, header.clusterSize() / 8);
            l2Cache.put(offset, table);
        }
        return table;
    }

    /** The kind of the guest subcluster {@code sc} (a cluster index when there are no subclusters). */
    Kind kindAt(long[] l2, long sc) {
        boolean ext = header.extendedL2();
        int index = (int) ((ext ? sc >>> 5 : sc) % header.l2Entries());
        long entry = ext ? l2[2 * index] : l2[index];
        if ((entry & OFLAG_COMPRESSED) != 0) {
            if (ext && l2[2 * index + 1] != 0) {
                throw invalidEntry(sc, "compressed cluster with a subcluster bitmap");
            }
            return Kind.COMPRESSED;
        }
        long host = entry & L2E_OFFSET_MASK;
        if (!ext) {
            if ((entry & OFLAG_ZERO) != 0) {
                return host != 0 ? Kind.ZERO_ALLOC : Kind.ZERO_PLAIN;
            }
            return host != 0 ? Kind.NORMAL : Kind.UNALLOCATED_PLAIN;
        }
        long bitmap = l2[2 * index + 1];
        long alloc = bitmap & 0xffff_ffffL;
        long zero = bitmap >>> 32;
        int bit = (int) (sc & 31);
        if (host != 0) {
            if ((alloc & zero) != 0) {
                throw invalidEntry(sc, "subcluster both allocated and zero");
            }
            if ((zero >>> bit & 1) != 0) {
                return Kind.ZERO_ALLOC;
            }
            return (alloc >>> bit & 1) != 0 ? Kind.NORMAL : Kind.UNALLOCATED_ALLOC;
        }
        if (alloc != 0) {
            throw invalidEntry(sc, "allocated subclusters without a host cluster");
        }
        return (zero >>> bit & 1) != 0 ? Kind.ZERO_PLAIN : Kind.UNALLOCATED_PLAIN;
    }

    /** Where subcluster {@code sc} starts in the file, or -1; data clusters are validated here. */
    private long hostOffsetAt(long[] l2, long sc, Kind kind) {
        boolean ext = header.extendedL2();
        int index = (int) ((ext ? sc >>> 5 : sc) % header.l2Entries());
        if (kind == Kind.COMPRESSED) {
            // Validated here too, not only when decompressed: a map must not report data that lies
            // outside the file, whether it is stored plain or compressed.
            compressedAt(ext ? l2[2 * index] : l2[index], sc >>> (ext ? 5 : 0));
            return -1;
        }
        if (kind == Kind.ZERO_PLAIN || kind == Kind.UNALLOCATED_PLAIN) {
            return -1;
        }
        long host = (ext ? l2[2 * index] : l2[index]) & L2E_OFFSET_MASK;
        if ((host & (header.clusterSize() - 1)) != 0) {
            throw invalidEntry(sc, "host offset 0x" + Long.toHexString(host) + " is not cluster aligned");
        }
        if (kind == Kind.NORMAL) {
            if (host < header.clusterSize()) {
                throw invalidEntry(sc, "data cluster overlaps the header");
            }
            if (host >= fileSize) {
                throw invalidEntry(sc, "data cluster at 0x" + Long.toHexString(host) + " lies outside the file ("
                        + fileSize + " bytes)");
            }
        }
        int subclusterBits = ext ? header.clusterBits() - 5 : header.clusterBits();
        long inCluster = ext ? (sc & 31) << subclusterBits : 0;
        return host + inCluster;
    }

    private BadImageException invalidEntry(long sc, String what) {
        int subclusterBits = header.extendedL2() ? header.clusterBits() - 5 : header.clusterBits();
        return new BadImageException(path, "L2 entry for guest offset 0x" + Long.toHexString(sc << subclusterBits)
                + ": " + what);
    }

    /** The decompressed guest cluster {@code cluster}, which must be a compressed one. */
    private byte[] compressedCluster(long cluster) throws IOException {
        if (cluster == cachedCluster) {
            return cachedClusterData;
        }
        int clusterBits = header.clusterBits();
        long l1Index = cluster / header.l2Entries();
        long[] l2 = l2Table(l2TableOffset((int) l1Index));
        int index = (int) (cluster % header.l2Entries());
        long entry = header.extendedL2() ? l2[2 * index] : l2[index];
        CompressedDescriptor d = compressedAt(entry, cluster);
        // The last compressed cluster may end in a partial sector past the end of the file.
        int available = (int) Math.min(d.size(), fileSize - d.offset());
        ByteBuffer in = ByteBuffer.allocate(available);
        readFully(channel, in, d.offset());
        byte[] data = compression.decompress(in.array(), available, cluster << clusterBits);
        cachedCluster = cluster;
        cachedClusterData = data;
        return data;
    }

    /** Where compressed guest cluster {@code cluster} is stored: past the header and starting inside the file. */
    private CompressedDescriptor compressedAt(long entry, long cluster) {
        CompressedDescriptor d = CompressedDescriptor.decode(entry, header.clusterBits());
        if (d.offset() < header.clusterSize() || d.offset() >= fileSize) {
            throw new BadImageException(path, "compressed cluster for guest offset 0x"
                    + Long.toHexString(cluster << header.clusterBits()) + " at 0x" + Long.toHexString(d.offset())
                    + " lies outside the file");
        }
        return d;
    }

    static long[] readTable(FileChannel channel, long offset, int entries) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate(entries * 8).order(ByteOrder.BIG_ENDIAN);
        readFully(channel, buf, offset);
        buf.flip();
        long[] table = new long[entries];
        buf.asLongBuffer().get(table);
        return table;
    }

    /** Reads until {@code dst} is full; past the end of the file it reads zeros, as QEMU does. */
    static void readFully(FileChannel channel, ByteBuffer dst, long position) throws IOException {
        long pos = position;
        while (dst.hasRemaining()) {
            int n = channel.read(dst, pos);
            if (n < 0) {
                while (dst.hasRemaining()) {
                    dst.put((byte) 0);
                }
                return;
            }
            pos += n;
        }
    }
}
