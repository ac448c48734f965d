package io.understudy.agent.qcow2;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * A structural check of one qcow2 file, as {@code qemu-img check} does it: every reference to a
 * host cluster (header, L1 and L2 tables of the image and of its internal snapshots, data and
 * compressed clusters, the refcount structures, persistent bitmaps) is counted and compared with
 * the stored refcounts. A stored count below the references is a corruption (a write would
 * overwrite live data); above is a leak (wasted space, harmless). Wrong "copied" flags on the
 * active tables and entries that break the format's rules are corruptions too.
 */
public final class Qcow2Check {

    /** What the check found; {@code problems} lists the first few corruptions in words. */
    public record Result(long corruptions, long leaks, long referencedClusters, List<String> problems) {
        public boolean clean() {
            return corruptions == 0;
        }
    }

    private static final int MAX_LISTED = 20;
    /** Beyond this a file is not a disk image we could check in reasonable time and memory. */
    private static final long MAX_CLUSTERS = 1L << 32;
    private static final long MAX_BITMAP_TABLE = 1L << 22;
    /**
     * All snapshots' L1 tables, and all bitmaps' tables, hold at most this many entries in all (a
     * real image needs thousands): 65536 snapshots may all name the same 32 MiB L1 table, and
     * reading it for each would take hours.
     */
    private static final long MAX_TABLE_ENTRIES = 1L << 25;
    private static final long BITMAP_OFFSET_MASK = 0x00ff_ffff_ffff_fe00L;
    /** Bits the spec reserves (must be zero), as qemu-img check tests them. */
    private static final long L1E_RESERVED_MASK = 0x7f00_0000_0000_01ffL;
    private static final long L2E_STD_RESERVED_MASK = 0x3f00_0000_0000_01feL;

    private final Qcow2Image image;
    private final Header h;
    private final int clusterBits;
    private final long clusterSize;
    private final long fileClusters;
    private final Counts expected = new Counts();
    /** Every L2 table any L1 table (active or a snapshot's) names, with how many times: each is walked once. */
    private final Map<Long, Long> l2Tables = new LinkedHashMap<>();
    private final List<String> problems = new ArrayList<>();
    private long corruptions;
    private long leaks;
    private Refcounts refcounts;

    private Qcow2Check(Qcow2Image image) {
        this.image = image;
        this.h = image.header();
        this.clusterBits = h.clusterBits();
        this.clusterSize = h.clusterSize();
        this.fileClusters = Header.ceilDiv(image.fileSize(), clusterSize);
    }

    public static Result check(Qcow2Image image) throws IOException {
        Qcow2Check c = new Qcow2Check(image);
        if (c.fileClusters > MAX_CLUSTERS) {
            throw new BadImageException(image.path(), "file of " + c.fileClusters + " clusters is too large to check");
        }
        return c.run();
    }

    private Result run() throws IOException {
        reference(0, clusterSize, 1, "header");
        refcounts = new Refcounts(image.channel(), image.fileSize(), h);
        reference(h.l1TableOffset(), h.l1Size() * 8L, 1, "L1 table");
        collectL2Tables(image.l1());
        checkSnapshots();
        for (Map.Entry<Long, Long> t : l2Tables.entrySet()) {
            reference(t.getKey(), clusterSize, t.getValue(), "L2 table");
            walkL2(image.l2Table(t.getKey()), t.getValue());
        }
        checkRefcountStructures();
        checkBitmaps();
        compare();
        checkCopiedFlags();
        return new Result(corruptions, leaks, expected.nonZero, List.copyOf(problems));
    }

    /** Notes the L2 tables of an L1 table; tables shared with other L1 entries or tables are walked once. */
    private void collectL2Tables(long[] l1) {
        for (int i = 0; i < l1.length; i++) {
            if (l1[i] == 0) {
                continue;
            }
            if ((l1[i] & L1E_RESERVED_MASK) != 0) {
                corrupt("L1 entry " + i + " has reserved bits set (0x" + Long.toHexString(l1[i]) + ")");
            }
            long offset = l1[i] & Qcow2Image.L1E_OFFSET_MASK;
            if (offset == 0) {
                // QEMU's check takes any non-zero entry for a table and reads the header as one
                corrupt("L1 entry " + i + " has flags but no L2 table (0x" + Long.toHexString(l1[i]) + ")");
                continue;
            }
            if ((offset & (clusterSize - 1)) != 0) {
                corrupt("L2 table offset 0x" + Long.toHexString(offset) + " is not cluster aligned (L1 index " + i + ")");
            } else if (offset > image.fileSize() - clusterSize) {
                corrupt("L2 table at 0x" + Long.toHexString(offset) + " lies outside the file (L1 index " + i + ")");
            } else {
                l2Tables.merge(offset, 1L, Long::sum);
            }
        }
    }

    private void walkL2(long[] l2, long weight) {
        boolean ext = h.extendedL2();
        int stride = ext ? 2 : 1;
        for (int i = 0; i < l2.length; i += stride) {
            long entry = l2[i];
            long bitmap = ext ? l2[i + 1] : 0;
            if ((entry & Qcow2Image.OFLAG_COMPRESSED) != 0) {
                if (ext && bitmap != 0) {
                    corrupt("compressed cluster entry with a subcluster bitmap");
                }
                if ((entry & Qcow2Image.OFLAG_COPIED) != 0) {
                    corrupt("compressed cluster entry with the copied flag set");
                }
                CompressedDescriptor d = CompressedDescriptor.decode(entry, clusterBits);
                reference(d.offset(), d.size(), weight, "compressed cluster");
                continue;
            }
            if ((entry & L2E_STD_RESERVED_MASK) != 0) {
                corrupt("L2 entry 0x" + Long.toHexString(entry) + " has reserved bits set");
            }
            long host = entry & Qcow2Image.L2E_OFFSET_MASK;
            if (ext) {
                long alloc = bitmap & 0xffff_ffffL;
                if ((alloc & (bitmap >>> 32)) != 0) {
                    corrupt("subclusters both allocated and zero (L2 entry 0x" + Long.toHexString(entry) + ")");
                }
                if (host == 0 && alloc != 0) {
                    corrupt("allocated subclusters without a host cluster");
                }
            }
            if (host == 0) {
                continue;
            }
            if ((host & (clusterSize - 1)) != 0) {
                corrupt("data cluster offset 0x" + Long.toHexString(host) + " is not cluster aligned");
                continue;
            }
            reference(host, clusterSize, weight, "data cluster");
        }
    }

    private void checkSnapshots() throws IOException {
        if (h.snapshotCount() == 0) {
            return;
        }
        long pos = h.snapshotsOffset();
        long l1Entries = 0;
        for (int k = 0; k < h.snapshotCount(); k++) {
            if (pos + 40 > image.fileSize()) {
                corrupt("snapshot table runs past the end of the file");
                return;
            }
            ByteBuffer e = read(pos, 40);
            long l1Offset = e.getLong(0);
            long l1Size = Integer.toUnsignedLong(e.getInt(8));
            int idSize = Short.toUnsignedInt(e.getShort(12));
            int nameSize = Short.toUnsignedInt(e.getShort(14));
            long extraSize = Integer.toUnsignedLong(e.getInt(36));
            if (extraSize > 1024) {
                corrupt("snapshot " + k + " has " + extraSize + " bytes of extra data");
                return;
            }
            pos += (40 + extraSize + idSize + nameSize + 7) & ~7L;
            if (l1Size * 8 > Header.MAX_L1_BYTES || (l1Offset & (clusterSize - 1)) != 0 || l1Offset <= 0
                    || l1Offset + l1Size * 8 > image.fileSize()) {
                corrupt("snapshot " + k + " has an invalid L1 table (0x" + Long.toHexString(l1Offset) + ", "
                        + l1Size + " entries)");
                continue;
            }
            l1Entries += l1Size;
            if (l1Entries > MAX_TABLE_ENTRIES) {
                throw new BadImageException(image.path(), "snapshot L1 tables of more than " + MAX_TABLE_ENTRIES
                        + " entries in all: too large to check");
            }
            if (l1Size > 0) {
                reference(l1Offset, l1Size * 8, 1, "snapshot L1 table");
                collectL2Tables(Qcow2Image.readTable(image.channel(), l1Offset, (int) l1Size));
            }
        }
        reference(h.snapshotsOffset(), pos - h.snapshotsOffset(), 1, "snapshot table");
    }

    private void checkRefcountStructures() {
        reference(h.refcountTableOffset(), h.refcountTableClusters() * clusterSize, 1, "refcount table");
        long[] table = refcounts.table();
        for (int i = 0; i < table.length; i++) {
            if ((table[i] & 511L) != 0) {
                corrupt("refcount table entry " + i + " has reserved bits set (0x" + Long.toHexString(table[i]) + ")");
            }
            long block = table[i] & ~511L;
            if (block == 0) {
                continue;
            }
            if (refcounts.block(i) == 0) {
                corrupt("refcount block " + i + " at 0x" + Long.toHexString(block)
                        + " is not cluster aligned or lies outside the file");
            } else {
                reference(block, clusterSize, 1, "refcount block");
            }
        }
    }

    private void checkBitmaps() throws IOException {
        if (h.bitmaps().isEmpty()) {
            return;
        }
        Header.BitmapsExtension b = h.bitmaps().get();
        reference(b.directoryOffset(), b.directorySize(), 1, "bitmap directory");
        BitmapDirectory dir = BitmapDirectory.parse(read(b.directoryOffset(), (int) b.directorySize()), b.count());
        long tableEntries = 0;
        for (int k = 0; k < dir.entries().size(); k++) {
            long tableOffset = dir.entries().get(k).tableOffset();
            long tableSize = dir.entries().get(k).tableSize();
            if (tableSize > MAX_BITMAP_TABLE || tableOffset <= 0 || (tableOffset & (clusterSize - 1)) != 0
                    || tableOffset + tableSize * 8 > image.fileSize()) {
                corrupt("bitmap " + k + " has an invalid table (0x" + Long.toHexString(tableOffset) + ", "
                        + tableSize + " entries)");
                continue;
            }
            tableEntries += tableSize;
            if (tableEntries > MAX_TABLE_ENTRIES) {
                throw new BadImageException(image.path(), "bitmap tables of more than " + MAX_TABLE_ENTRIES
                        + " entries in all: too large to check");
            }
            reference(tableOffset, tableSize * 8, 1, "bitmap table");
            for (long entry : Qcow2Image.readTable(image.channel(), tableOffset, (int) tableSize)) {
                long data = entry & BITMAP_OFFSET_MASK;
                if (data == 0) {
                    continue;
                }
                if ((data & (clusterSize - 1)) != 0) {
                    corrupt("bitmap data cluster 0x" + Long.toHexString(data) + " is not cluster aligned");
                } else {
                    reference(data, clusterSize, 1, "bitmap data cluster");
                }
            }
        }
        dir.damage().ifPresent(this::corrupt);
    }

    /**
     * Stored against expected refcount for every cluster that has either: those a refcount block
     * covers, and those referenced without one. The rest of the file has neither (a sparse tail
     * of terabytes costs nothing; walking it cluster by cluster took minutes).
     */
    private void compare() throws IOException {
        long perBlock = refcounts.perBlock();
        long[] table = refcounts.table();
        for (int i = 0; i < table.length && (long) i * perBlock < fileClusters; i++) {
            if (refcounts.block(i) != 0) {
                long end = Math.min(fileClusters, (i + 1) * perBlock);
                for (long c = i * perBlock; c < end; c++) {
                    compare(c);
                }
            }
        }
        for (long c = expected.next(0); c >= 0; c = expected.next(c + 1)) {
            long i = c / perBlock;
            if (i >= table.length || refcounts.block((int) i) == 0) {
                compare(c);
            }
        }
    }

    private void compare(long cluster) throws IOException {
        long stored = storedRefcount(cluster);
        long want = expected.get(cluster);
        if (stored < want) {
            corrupt("cluster " + cluster + " has refcount " + stored + " but " + want + " references");
        } else if (stored > want) {
            leaks++;
        }
    }

    /** In the active tables, the copied flag says "refcount is exactly one": QEMU relies on it to write in place. */
    private void checkCopiedFlags() throws IOException {
        long[] l1 = image.l1();
        boolean ext = h.extendedL2();
        // Each table once: an L1 table of 4 million entries may name the same L2 table in all.
        Set<Long> tables = new LinkedHashSet<>();
        for (int i = 0; i < l1.length; i++) {
            long offset = l1[i] & Qcow2Image.L1E_OFFSET_MASK;
            if (offset == 0 || (offset & (clusterSize - 1)) != 0 || offset > image.fileSize() - clusterSize) {
                continue;
            }
            if ((storedRefcount(offset >>> clusterBits) == 1) != ((l1[i] & Qcow2Image.OFLAG_COPIED) != 0)) {
                corrupt("copied flag of the L2 table at L1 index " + i + " disagrees with its refcount");
            }
            tables.add(offset);
        }
        for (long offset : tables) {
            long[] l2 = image.l2Table(offset);
            for (int j = 0; j < l2.length; j += ext ? 2 : 1) {
                long entry = l2[j];
                long host = entry & Qcow2Image.L2E_OFFSET_MASK;
                if ((entry & Qcow2Image.OFLAG_COMPRESSED) != 0 || host == 0 || (host & (clusterSize - 1)) != 0
                        || host >= image.fileSize()) {
                    continue;
                }
                if ((storedRefcount(host >>> clusterBits) == 1) != ((entry & Qcow2Image.OFLAG_COPIED) != 0)) {
                    corrupt("copied flag of the data cluster at 0x" + Long.toHexString(host)
                            + " disagrees with its refcount");
                }
            }
        }
    }

    private long storedRefcount(long cluster) throws IOException {
        return refcounts.get(cluster);
    }

    /** One more reference to each host cluster that {@code [offset, offset + length)} touches. */
    private void reference(long offset, long length, long weight, String what) {
        if (length <= 0) {
            return;
        }
        long first = offset >>> clusterBits;
        long last = (offset + length - 1) >>> clusterBits;
        if (offset < 0 || last >= fileClusters) {
            corrupt(what + " at 0x" + Long.toHexString(offset) + " lies outside the file");
            return;
        }
        for (long c = first; c <= last; c++) {
            if (!expected.add(c, weight)) {
                throw new BadImageException(image.path(), "references scattered over more of the file than "
                        + "memory allows: too large to check");
            }
        }
    }

    private ByteBuffer read(long offset, int length) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(length).order(ByteOrder.BIG_ENDIAN);
        Qcow2Image.readFully(image.channel(), b, offset);
        return b.flip();
    }

    private void corrupt(String what) {
        corruptions++;
        if (problems.size() < MAX_LISTED) {
            problems.add(what);
        }
    }

    /**
     * Expected refcounts, stored sparsely in pages of one byte per cluster (255 and more spill
     * into a map): a check allocates only where references fall, 4 KiB a page. Pages of 64K
     * four-byte counts let a 600 KiB file whose references are scattered over a sparse 2 TiB
     * tail ask for 16 GiB; now that costs 256 MiB, and past a quarter of the heap the check
     * refuses rather than runs out of memory.
     */
    private static final class Counts {
        private static final int PAGE_BITS = 12;
        private static final int SPILLED = 255;
        private final long maxPages = Runtime.getRuntime().maxMemory() / 4 / (1 << PAGE_BITS);
        private final TreeMap<Long, byte[]> pages = new TreeMap<>();
        private final Map<Long, Long> spilled = new HashMap<>();
        long nonZero;

        /** False, changing nothing, when a new page would pass the memory budget. */
        boolean add(long cluster, long weight) {
            byte[] page = pages.get(cluster >>> PAGE_BITS);
            if (page == null) {
                if (pages.size() >= maxPages) {
                    return false;
                }
                page = new byte[1 << PAGE_BITS];
                pages.put(cluster >>> PAGE_BITS, page);
            }
            int i = (int) (cluster & ((1 << PAGE_BITS) - 1));
            int v = Byte.toUnsignedInt(page[i]);
            if (v == 0) {
                nonZero++;
            }
            if (v == SPILLED) {
                spilled.merge(cluster, weight, Long::sum);
            } else if (v + weight < SPILLED) {
                page[i] = (byte) (v + weight);
            } else {
                page[i] = (byte) SPILLED;
                spilled.put(cluster, v + weight);
            }
            return true;
        }

        /** The first cluster at or after {@code from} with a reference, or -1. */
        long next(long from) {
            for (Long key = pages.ceilingKey(from >>> PAGE_BITS); key != null; key = pages.higherKey(key)) {
                byte[] page = pages.get(key);
                int start = key == from >>> PAGE_BITS ? (int) (from & ((1 << PAGE_BITS) - 1)) : 0;
                for (int i = start; i < page.length; i++) {
                    if (page[i] != 0) {
                        return (key << PAGE_BITS) | i;
                    }
                }
            }
            return -1;
        }

        long get(long cluster) {
            byte[] page = pages.get(cluster >>> PAGE_BITS);
            int v = page == null ? 0 : Byte.toUnsignedInt(page[(int) (cluster & ((1 << PAGE_BITS) - 1))]);
            return v == SPILLED ? spilled.get(cluster) : v;
        }
    }
}
