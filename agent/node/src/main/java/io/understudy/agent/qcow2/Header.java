package io.understudy.agent.qcow2;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Optional;

/**
 * A validated qcow2 header with the header extensions we understand (qemu's
 * docs/interop/qcow2.rst). {@link #parse} refuses what we must not read: encryption, external data
 * files, unknown incompatible features, the corrupt bit, absurd sizes and tables that lie outside
 * the file or over the header.
 */
public record Header(
        int version,
        int clusterBits,
        long virtualSize,
        int l1Size,
        long l1TableOffset,
        long refcountTableOffset,
        int refcountTableClusters,
        int snapshotCount,
        long snapshotsOffset,
        long incompatibleFeatures,
        long compatibleFeatures,
        long autoclearFeatures,
        int refcountOrder,
        int headerLength,
        int compressionType,
        Optional<String> backingFile,
        Optional<String> backingFormat,
        Optional<BitmapsExtension> bitmaps) {

    public static final int MAGIC = 0x514649fb; // "QFI\xfb"
    public static final int V2_HEADER_LENGTH = 72;
    public static final int V3_HEADER_LENGTH = 104;

    public static final long INCOMPAT_DIRTY = 1L;
    public static final long INCOMPAT_CORRUPT = 1L << 1;
    public static final long INCOMPAT_DATA_FILE = 1L << 2;
    public static final long INCOMPAT_COMPRESSION = 1L << 3;
    public static final long INCOMPAT_EXTL2 = 1L << 4;
    private static final long INCOMPAT_KNOWN = (1L << 5) - 1;

    public static final int COMPRESSION_DEFLATE = 0;
    public static final int COMPRESSION_ZSTD = 1;

    static final int EXT_END = 0;
    static final int EXT_BACKING_FORMAT = 0xe2792aca;
    static final int EXT_FEATURE_NAMES = 0x6803f857;
    static final int EXT_BITMAPS = 0x23852875;
    static final int EXT_ENCRYPTION = 0x0537be77;
    static final int EXT_DATA_FILE = 0x44415441;

    /** QEMU's own limits: beyond these, QEMU refuses the image too. */
    static final long MAX_L1_BYTES = 32L << 20;
    static final long MAX_REFTABLE_BYTES = 8L << 20;
    static final int MAX_SNAPSHOTS = 65536;
    static final int MAX_BACKING_NAME = 1023;
    /** L2 entries address host offsets below 2^56; a larger virtual disk cannot be populated. */
    static final long MAX_VIRTUAL_SIZE = 1L << 56;

    /**
     * The largest virtual size a layer of {@code clusterSize}-byte clusters (standard L2 entries)
     * can address within QEMU's limits: its L1 table stops at 32 MiB.
     */
    public static long maxVirtualSize(int clusterSize) {
        long perL1Entry = (long) clusterSize * (clusterSize / 8);
        return Math.min(MAX_VIRTUAL_SIZE, MAX_L1_BYTES / 8 * perL1Entry);
    }

    /** The bitmaps header extension (persistent dirty bitmaps, as libvirt checkpoints leave them). */
    public record BitmapsExtension(int count, long directorySize, long directoryOffset) {}

    public int clusterSize() {
        return 1 << clusterBits;
    }

    public boolean extendedL2() {
        return (incompatibleFeatures & INCOMPAT_EXTL2) != 0;
    }

    /** Bytes per L2 entry: 8, or 16 with extended L2 (an entry plus its subcluster bitmap). */
    public int l2EntrySize() {
        return extendedL2() ? 16 : 8;
    }

    public int l2Entries() {
        return clusterSize() / l2EntrySize();
    }

    public int refcountBits() {
        return 1 << refcountOrder;
    }

    /**
     * Parses and validates the header from the first bytes of {@code file} (at least the first
     * cluster, or the whole file when it is shorter).
     */
    public static Header parse(Path file, ByteBuffer start, long fileSize) {
        ByteBuffer b = start.duplicate().order(java.nio.ByteOrder.BIG_ENDIAN);
        if (b.remaining() < V2_HEADER_LENGTH) {
            throw new BadImageException(file, "truncated: " + b.remaining() + " bytes, too short for a qcow2 header");
        }
        if (b.getInt(0) != MAGIC) {
            throw new BadImageException(file, "not a qcow2 image (bad magic)");
        }
        int version = b.getInt(4);
        if (version != 2 && version != 3) {
            throw new BadImageException(file, "unsupported qcow2 version " + Integer.toUnsignedString(version));
        }
        long backingOffset = b.getLong(8);
        int backingSize = b.getInt(16);
        int clusterBits = b.getInt(20);
        if (clusterBits < 9 || clusterBits > 21) {
            throw new BadImageException(file, "cluster_bits " + Integer.toUnsignedString(clusterBits)
                    + " outside 9..21 (512 B to 2 MiB clusters)");
        }
        long clusterSize = 1L << clusterBits;
        long size = b.getLong(24);
        int cryptMethod = b.getInt(32);
        if (cryptMethod != 0) {
            throw new BadImageException(file, "encrypted image (crypt_method " + Integer.toUnsignedString(cryptMethod)
                    + "): not supported");
        }
        long l1Size = Integer.toUnsignedLong(b.getInt(36));
        long l1Offset = b.getLong(40);
        long refTableOffset = b.getLong(48);
        long refTableClusters = Integer.toUnsignedLong(b.getInt(56));
        long snapshotCount = Integer.toUnsignedLong(b.getInt(60));
        long snapshotsOffset = b.getLong(64);

        long incompat = 0;
        long compat = 0;
        long autoclear = 0;
        int refcountOrder = 4;
        int headerLength = V2_HEADER_LENGTH;
        int compressionType = COMPRESSION_DEFLATE;
        if (version == 3) {
            if (b.remaining() < V3_HEADER_LENGTH) {
                throw new BadImageException(file, "truncated: version 3 header needs " + V3_HEADER_LENGTH + " bytes");
            }
            incompat = b.getLong(72);
            compat = b.getLong(80);
            autoclear = b.getLong(88);
            refcountOrder = b.getInt(96);
            headerLength = b.getInt(100);
            if (headerLength < V3_HEADER_LENGTH || headerLength % 8 != 0 || headerLength > clusterSize) {
                throw new BadImageException(file, "invalid header_length " + Integer.toUnsignedString(headerLength));
            }
            if (headerLength > b.remaining()) {
                throw new BadImageException(file, "truncated: header_length " + headerLength + " exceeds the file");
            }
            if (headerLength > 104) {
                compressionType = Byte.toUnsignedInt(b.get(104));
            }
        }
        if ((incompat & ~INCOMPAT_KNOWN) != 0) {
            throw new BadImageException(file, "unknown incompatible feature bits 0x"
                    + Long.toHexString(incompat & ~INCOMPAT_KNOWN) + ": refusing to read");
        }
        if ((incompat & INCOMPAT_CORRUPT) != 0) {
            throw new BadImageException(file, "image is marked corrupt (incompatible feature bit 1)");
        }
        if ((incompat & INCOMPAT_DATA_FILE) != 0) {
            throw new BadImageException(file, "image uses an external data file: not supported");
        }
        if ((incompat & INCOMPAT_COMPRESSION) != 0) {
            if (compressionType == COMPRESSION_DEFLATE) {
                throw new BadImageException(file, "compression type bit set but compression_type is 0");
            }
        } else if (compressionType != COMPRESSION_DEFLATE) {
            throw new BadImageException(file, "compression_type " + compressionType + " without the compression type bit");
        }
        if (compressionType != COMPRESSION_DEFLATE && compressionType != COMPRESSION_ZSTD) {
            throw new BadImageException(file, "unknown compression type " + compressionType);
        }
        if ((incompat & INCOMPAT_EXTL2) != 0 && clusterBits < 14) {
            throw new BadImageException(file, "extended L2 entries need clusters of at least 16 KiB");
        }
        if (refcountOrder < 0 || refcountOrder > 6) {
            throw new BadImageException(file, "refcount_order " + Integer.toUnsignedString(refcountOrder) + " outside 0..6");
        }

        if (size < 0 || size > MAX_VIRTUAL_SIZE) {
            throw new BadImageException(file, "absurd virtual size " + Long.toUnsignedString(size) + " bytes");
        }
        int entrySize = (incompat & INCOMPAT_EXTL2) != 0 ? 16 : 8;
        long bytesPerL2 = clusterSize * (clusterSize / entrySize);
        long l1Needed = ceilDiv(size, bytesPerL2);
        if (l1Size < l1Needed) {
            throw new BadImageException(file, "L1 table has " + l1Size + " entries, " + l1Needed
                    + " are needed for the virtual size");
        }
        if (l1Size * 8 > MAX_L1_BYTES) {
            throw new BadImageException(file, "L1 table of " + l1Size + " entries is larger than 32 MiB");
        }
        if (l1Size > 0) {
            checkTable(file, "L1 table", l1Offset, l1Size * 8, clusterSize, fileSize);
        }
        if (refTableClusters == 0) {
            throw new BadImageException(file, "refcount table has no clusters");
        }
        if (refTableClusters * clusterSize > MAX_REFTABLE_BYTES) {
            throw new BadImageException(file, "refcount table of " + refTableClusters + " clusters is larger than 8 MiB");
        }
        checkTable(file, "refcount table", refTableOffset, refTableClusters * clusterSize, clusterSize, fileSize);
        if (snapshotCount > MAX_SNAPSHOTS) {
            throw new BadImageException(file, "absurd snapshot count " + snapshotCount);
        }
        if (snapshotCount > 0) {
            checkTable(file, "snapshot table", snapshotsOffset, 40 * snapshotCount, clusterSize, fileSize);
        }

        long extensionsEnd = Math.min(clusterSize, b.remaining());
        Optional<String> backingFile = Optional.empty();
        // An empty name is no backing file, as QEMU reads it (wherever the offset points).
        if (backingOffset != 0 && backingSize != 0) {
            if (Integer.toUnsignedLong(backingSize) > MAX_BACKING_NAME) {
                throw new BadImageException(file, "backing file name length " + Integer.toUnsignedString(backingSize)
                        + " outside 1..1023");
            }
            // Compared without adding to the offset: a hostile offset near 2^63 would wrap around.
            if (backingOffset < headerLength || backingOffset > clusterSize - backingSize) {
                throw new BadImageException(file, "backing file name at offset " + backingOffset
                        + " lies outside the first cluster");
            }
            if (backingOffset + backingSize > b.remaining()) {
                throw new BadImageException(file, "truncated: backing file name lies past the end of the file");
            }
            byte[] name = new byte[backingSize];
            b.get((int) backingOffset, name);
            backingFile = Optional.of(new String(name, StandardCharsets.UTF_8));
            extensionsEnd = backingOffset;
        }

        Extensions ext = readExtensions(file, b, headerLength, (int) extensionsEnd, clusterSize, fileSize);
        if ((autoclear & 1) != 0 && ext.bitmaps == null) {
            // QEMU clears the bit in this case; reading the image is unaffected.
            autoclear &= ~1L;
        }
        return new Header(version, clusterBits, size, (int) l1Size, l1Offset, refTableOffset, (int) refTableClusters,
                (int) snapshotCount, snapshotsOffset, incompat, compat, autoclear, refcountOrder, headerLength,
                compressionType, backingFile, Optional.ofNullable(ext.backingFormat), Optional.ofNullable(ext.bitmaps));
    }

    private record Extensions(String backingFormat, BitmapsExtension bitmaps) {}

    private static Extensions readExtensions(Path file, ByteBuffer b, int from, int end, long clusterSize, long fileSize) {
        String backingFormat = null;
        BitmapsExtension bitmaps = null;
        long pos = from;
        while (true) {
            if (pos + 8 > end) {
                // QEMU tolerates a missing end marker when the area is exhausted.
                break;
            }
            int type = b.getInt((int) pos);
            long length = Integer.toUnsignedLong(b.getInt((int) pos + 4));
            pos += 8;
            if (type == EXT_END) {
                break;
            }
            if (pos + length > end) {
                throw new BadImageException(file, "header extension 0x" + Integer.toHexString(type) + " of " + length
                        + " bytes overruns the header area");
            }
            switch (type) {
                case EXT_BACKING_FORMAT -> {
                    byte[] name = new byte[(int) length];
                    b.get((int) pos, name);
                    backingFormat = new String(name, StandardCharsets.US_ASCII);
                }
                case EXT_ENCRYPTION -> throw new BadImageException(file, "image carries an encryption header: not supported");
                case EXT_DATA_FILE -> throw new BadImageException(file, "image names an external data file: not supported");
                case EXT_BITMAPS -> {
                    if (length < 24) {
                        throw new BadImageException(file, "bitmaps extension too short (" + length + " bytes)");
                    }
                    long count = Integer.toUnsignedLong(b.getInt((int) pos));
                    long dirSize = b.getLong((int) pos + 8);
                    long dirOffset = b.getLong((int) pos + 16);
                    if (count == 0 || count > 65535) {
                        throw new BadImageException(file, "bitmaps extension names " + count + " bitmaps");
                    }
                    if (dirSize <= 0 || dirSize > (64L << 20)) {
                        throw new BadImageException(file, "absurd bitmap directory size " + dirSize);
                    }
                    checkTable(file, "bitmap directory", dirOffset, dirSize, clusterSize, fileSize);
                    bitmaps = new BitmapsExtension((int) count, dirSize, dirOffset);
                }
                default -> {
                    // Feature names and unknown extensions are safe to ignore (the spec says so).
                }
            }
            pos += (length + 7) & ~7L;
        }
        return new Extensions(backingFormat, bitmaps);
    }

    /** A metadata table must be cluster aligned, after the header cluster and inside the file. */
    static void checkTable(Path file, String what, long offset, long length, long clusterSize, long fileSize) {
        if (offset == 0) {
            throw new BadImageException(file, what + " overlaps the header (offset 0)");
        }
        if (offset < 0 || offset > fileSize || length > fileSize - offset) {
            throw new BadImageException(file, what + " at 0x" + Long.toHexString(offset) + " (" + length
                    + " bytes) lies outside the file (" + fileSize + " bytes)");
        }
        if (offset % clusterSize != 0) {
            throw new BadImageException(file, what + " offset 0x" + Long.toHexString(offset) + " is not cluster aligned");
        }
    }

    static long ceilDiv(long a, long b) {
        return a == 0 ? 0 : (a - 1) / b + 1;
    }
}
