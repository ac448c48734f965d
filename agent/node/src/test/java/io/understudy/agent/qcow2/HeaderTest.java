package io.understudy.agent.qcow2;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * Every rule of {@link Header#parse}, on hand-built header bytes: a valid header is read field by
 * field, and each way of breaking it is refused with a {@link BadImageException} whose one-line
 * message names the file and the reason.
 */
class HeaderTest {

    private static final Path FILE = Path.of("/images/disk.qcow2");
    private static final int CLUSTER = 65536;
    /** Header, refcount table, refcount block, L1 table, then room for data: 16 clusters. */
    private static final long FILE_SIZE = 16L * CLUSTER;
    private static final long VIRTUAL = 1L << 30;

    // Header field offsets (qemu's docs/interop/qcow2.rst).
    private static final int VERSION = 4;
    private static final int BACKING_OFFSET = 8;
    private static final int BACKING_SIZE = 16;
    private static final int CLUSTER_BITS = 20;
    private static final int SIZE = 24;
    private static final int CRYPT = 32;
    private static final int L1_SIZE = 36;
    private static final int L1_OFFSET = 40;
    private static final int REFTABLE_OFFSET = 48;
    private static final int REFTABLE_CLUSTERS = 56;
    private static final int SNAPSHOTS = 60;
    private static final int SNAPSHOTS_OFFSET = 64;
    private static final int INCOMPAT = 72;
    private static final int AUTOCLEAR = 88;
    private static final int REFCOUNT_ORDER = 96;
    private static final int HEADER_LENGTH = 100;
    private static final int COMPRESSION = 104;
    private static final int V3_LENGTH = 112;

    /** A v3 header as qemu-img create writes it for a 1 GiB disk with 64 KiB clusters. */
    private static ByteBuffer v3() {
        ByteBuffer b = ByteBuffer.allocate(CLUSTER);
        b.putInt(0, Header.MAGIC);
        b.putInt(VERSION, 3);
        b.putInt(CLUSTER_BITS, 16);
        b.putLong(SIZE, VIRTUAL);
        b.putInt(L1_SIZE, 2); // one L2 table maps 8192 × 64 KiB = 512 MiB
        b.putLong(L1_OFFSET, 3L * CLUSTER);
        b.putLong(REFTABLE_OFFSET, CLUSTER);
        b.putInt(REFTABLE_CLUSTERS, 1);
        b.putInt(REFCOUNT_ORDER, 4);
        b.putInt(HEADER_LENGTH, V3_LENGTH);
        return b; // extensions start at 112: zeros there are the end marker
    }

    /** The same disk as a v2 (compat=0.10) header: 72 bytes, no feature fields. */
    private static ByteBuffer v2() {
        ByteBuffer b = v3();
        b.putInt(VERSION, 2);
        for (int i = 72; i < V3_LENGTH; i++) {
            b.put(i, (byte) 0);
        }
        return b;
    }

    private static Header parse(ByteBuffer b) {
        return Header.parse(FILE, b, FILE_SIZE);
    }

    /** Refused with a one-line message that starts with the file's name and names the reason. */
    private static void refused(ByteBuffer b, long fileSize, String... reason) {
        assertThatThrownBy(() -> Header.parse(FILE, b, fileSize))
                .isInstanceOf(BadImageException.class)
                .hasMessageStartingWith(FILE + ": ")
                .hasMessageContainingAll(reason)
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"))
                .satisfies(e -> assertThat(((BadImageException) e).file()).isEqualTo(FILE));
    }

    private static void refused(ByteBuffer b, String... reason) {
        refused(b, FILE_SIZE, reason);
    }

    /** Writes a header extension at {@code at}; returns where the next one goes. */
    private static int extension(ByteBuffer b, int at, int type, byte[] data) {
        b.putInt(at, type);
        b.putInt(at + 4, data.length);
        b.put(at + 8, data);
        return at + 8 + ((data.length + 7) & ~7);
    }

    private static ByteBuffer withBacking(ByteBuffer b, long offset, String name) {
        byte[] bytes = name.getBytes(StandardCharsets.UTF_8);
        b.putLong(BACKING_OFFSET, offset);
        b.putInt(BACKING_SIZE, bytes.length);
        b.put((int) offset, bytes);
        return b;
    }

    // ---- what a valid header says

    @Test
    void readsAVersion3Header() {
        Header h = parse(v3());
        assertThat(h.version()).isEqualTo(3);
        assertThat(h.clusterSize()).isEqualTo(CLUSTER);
        assertThat(h.virtualSize()).isEqualTo(VIRTUAL);
        assertThat(h.l1Size()).isEqualTo(2);
        assertThat(h.l1TableOffset()).isEqualTo(3L * CLUSTER);
        assertThat(h.refcountTableOffset()).isEqualTo(CLUSTER);
        assertThat(h.refcountTableClusters()).isEqualTo(1);
        assertThat(h.refcountBits()).isEqualTo(16);
        assertThat(h.headerLength()).isEqualTo(V3_LENGTH);
        assertThat(h.compressionType()).isEqualTo(Header.COMPRESSION_DEFLATE);
        assertThat(h.extendedL2()).isFalse();
        assertThat(h.l2EntrySize()).isEqualTo(8);
        assertThat(h.backingFile()).isEmpty();
        assertThat(h.backingFormat()).isEmpty();
        assertThat(h.bitmaps()).isEmpty();
    }

    @Test
    void readsAVersion2HeaderWithItsFixedDefaults() {
        ByteBuffer b = v2();
        // A v2 header ends at 72: whatever follows is extensions, never feature bits.
        b.putLong(INCOMPAT, 0);
        Header h = parse(b);
        assertThat(h.version()).isEqualTo(2);
        assertThat(h.headerLength()).isEqualTo(Header.V2_HEADER_LENGTH);
        assertThat(h.refcountBits()).isEqualTo(16);
        assertThat(h.incompatibleFeatures()).isZero();
    }

    @Test
    void readsBackingNameAndFormatAndSkipsExtensionsItNeedNotUnderstand() {
        ByteBuffer b = v3();
        int at = extension(b, V3_LENGTH, 0x12345678, new byte[] {1, 2, 3}); // unknown: ignored, as the spec says
        at = extension(b, at, Header.EXT_FEATURE_NAMES, new byte[48]);
        at = extension(b, at, Header.EXT_BACKING_FORMAT, "qcow2".getBytes(StandardCharsets.US_ASCII));
        b.putLong(at, 0); // end marker
        withBacking(b, at + 8, "base image.qcow2");
        Header h = parse(b);
        assertThat(h.backingFile()).contains("base image.qcow2");
        assertThat(h.backingFormat()).contains("qcow2");
    }

    @Test
    void toleratesAMissingEndMarkerWhenTheBackingNameFollows() {
        ByteBuffer b = v3();
        int at = extension(b, V3_LENGTH, Header.EXT_BACKING_FORMAT, "raw".getBytes(StandardCharsets.US_ASCII));
        withBacking(b, at, "base.raw"); // no end marker: the area simply ends where the name starts
        assertThat(parse(b).backingFormat()).contains("raw");
    }

    @Test
    void acceptsZstdCompressionAndExtendedL2() {
        ByteBuffer b = v3();
        b.putLong(INCOMPAT, Header.INCOMPAT_COMPRESSION | Header.INCOMPAT_EXTL2);
        b.put(COMPRESSION, (byte) Header.COMPRESSION_ZSTD);
        b.putInt(L1_SIZE, 4); // 16-byte entries halve what one L2 table maps
        Header h = parse(b);
        assertThat(h.compressionType()).isEqualTo(Header.COMPRESSION_ZSTD);
        assertThat(h.extendedL2()).isTrue();
        assertThat(h.l2EntrySize()).isEqualTo(16);
        assertThat(h.l2Entries()).isEqualTo(CLUSTER / 16);
    }

    @Test
    void dropsTheBitmapsAutoclearBitWhenThereIsNoBitmapsExtension() {
        ByteBuffer b = v3();
        b.putLong(AUTOCLEAR, 1);
        assertThat(parse(b).autoclearFeatures()).isZero();
    }

    @Test
    void readsTheBitmapsExtension() {
        ByteBuffer b = v3();
        ByteBuffer ext = ByteBuffer.allocate(24).putInt(0, 2).putLong(8, 64).putLong(16, 5L * CLUSTER);
        extension(b, V3_LENGTH, Header.EXT_BITMAPS, ext.array());
        b.putLong(AUTOCLEAR, 1);
        Header h = parse(b);
        assertThat(h.bitmaps()).contains(new Header.BitmapsExtension(2, 64, 5L * CLUSTER));
        assertThat(h.autoclearFeatures()).isEqualTo(1);
    }

    @Test
    void acceptsAnEmptyDiskWithNoL1Table() {
        ByteBuffer b = v3();
        b.putLong(SIZE, 0);
        b.putInt(L1_SIZE, 0);
        b.putLong(L1_OFFSET, 0); // never followed: there is nothing to map
        assertThat(parse(b).virtualSize()).isZero();
    }

    // ---- truncation and identity

    @Test
    void refusesFilesTooShortForAHeader() {
        refused(ByteBuffer.wrap(new byte[0]), 0, "truncated", "0 bytes");
        refused(v3().limit(71), 71, "truncated", "71 bytes");
        refused(v3().limit(100), 100, "truncated", "version 3 header needs 104 bytes");
        refused(v3().limit(108), 108, "truncated", "header_length 112 exceeds the file");
    }

    @Test
    void refusesOtherMagic() {
        refused(v3().putInt(0, 0x4b444d56), "not a qcow2 image", "magic"); // "KDMV", a vmdk
    }

    @Test
    void refusesUnknownVersions() {
        refused(v3().putInt(VERSION, 1), "unsupported qcow2 version 1");
        refused(v3().putInt(VERSION, 4), "unsupported qcow2 version 4");
        refused(v3().putInt(VERSION, -1), "unsupported qcow2 version 4294967295");
    }

    @Test
    void refusesClusterSizesOutside512BytesTo2MiB() {
        refused(v3().putInt(CLUSTER_BITS, 8), "cluster_bits 8 outside 9..21");
        refused(v3().putInt(CLUSTER_BITS, 22), "cluster_bits 22 outside 9..21");
        refused(v3().putInt(CLUSTER_BITS, -1), "cluster_bits 4294967295");
    }

    @Test
    void refusesEncryption() {
        refused(v3().putInt(CRYPT, 1), "encrypted image", "crypt_method 1");
        refused(v3().putInt(CRYPT, 2), "encrypted image", "crypt_method 2");
    }

    @Test
    void refusesAnEncryptionHeaderExtensionEvenWithoutCryptMethod() {
        ByteBuffer b = v3();
        extension(b, V3_LENGTH, Header.EXT_ENCRYPTION, new byte[16]);
        refused(b, "encryption header");
    }

    @Test
    void refusesExternalDataFiles() {
        refused(v3().putLong(INCOMPAT, Header.INCOMPAT_DATA_FILE), "external data file");
        ByteBuffer b = v3();
        extension(b, V3_LENGTH, Header.EXT_DATA_FILE, "data.raw".getBytes(StandardCharsets.UTF_8));
        refused(b, "external data file");
    }

    @Test
    void refusesUnknownIncompatibleFeatures() {
        refused(v3().putLong(INCOMPAT, 1L << 5), "unknown incompatible feature bits 0x20");
        refused(v3().putLong(INCOMPAT, 1L << 63 | 1), "unknown incompatible feature bits 0x8000000000000000");
    }

    @Test
    void refusesTheCorruptBit() {
        refused(v3().putLong(INCOMPAT, Header.INCOMPAT_CORRUPT), "marked corrupt");
    }

    @Test
    void refusesInconsistentCompressionTypes() {
        refused(v3().putLong(INCOMPAT, Header.INCOMPAT_COMPRESSION), "compression type bit set but compression_type is 0");
        refused(v3().put(COMPRESSION, (byte) 1), "compression_type 1 without the compression type bit");
        ByteBuffer b = v3().putLong(INCOMPAT, Header.INCOMPAT_COMPRESSION);
        b.put(COMPRESSION, (byte) 7);
        refused(b, "unknown compression type 7");
    }

    @Test
    void refusesExtendedL2WithSmallClusters() {
        ByteBuffer b = v3().putLong(INCOMPAT, Header.INCOMPAT_EXTL2).putInt(CLUSTER_BITS, 13);
        b.putInt(L1_SIZE, 1024);
        b.putLong(L1_OFFSET, 3L * 8192);
        b.putLong(REFTABLE_OFFSET, 8192);
        refused(b, "extended L2", "16 KiB");
    }

    @Test
    void refusesAbsurdRefcountOrders() {
        refused(v3().putInt(REFCOUNT_ORDER, 7), "refcount_order 7 outside 0..6");
        refused(v3().putInt(REFCOUNT_ORDER, -1), "refcount_order 4294967295 outside 0..6");
    }

    @Test
    void refusesAbsurdHeaderLengths() {
        refused(v3().putInt(HEADER_LENGTH, 0), "invalid header_length 0");
        refused(v3().putInt(HEADER_LENGTH, 96), "invalid header_length 96");
        refused(v3().putInt(HEADER_LENGTH, 113), "invalid header_length 113");
        refused(v3().putInt(HEADER_LENGTH, CLUSTER + 8), "invalid header_length " + (CLUSTER + 8));
        refused(v3().putInt(HEADER_LENGTH, -8), "invalid header_length 4294967288");
    }

    @Test
    void refusesAbsurdVirtualSizes() {
        refused(v3().putLong(SIZE, -1), "absurd virtual size 18446744073709551615");
        refused(v3().putLong(SIZE, (1L << 56) + 1), "absurd virtual size");
    }

    @Test
    void refusesAnL1TableTooSmallForTheVirtualSize() {
        refused(v3().putInt(L1_SIZE, 1), "L1 table has 1 entries, 2 are needed");
        refused(v3().putInt(L1_SIZE, 0), "L1 table has 0 entries, 2 are needed");
    }

    @Test
    void refusesAnL1TableOver32MiB() {
        refused(v3().putInt(L1_SIZE, (32 << 20) / 8 + 1), "L1 table", "larger than 32 MiB");
        refused(v3().putInt(L1_SIZE, -1), "L1 table of 4294967295 entries is larger than 32 MiB");
        // A disk that needs more than 32 MiB of L1 is refused by the same rule, before any allocation.
        ByteBuffer b = v3().putInt(CLUSTER_BITS, 9).putLong(SIZE, 1L << 56);
        refused(b, "L1 table has 2 entries");
    }

    @Test
    void refusesMisplacedL1Tables() {
        refused(v3().putLong(L1_OFFSET, 0), "L1 table overlaps the header");
        refused(v3().putLong(L1_OFFSET, 3L * CLUSTER + 512), "L1 table offset 0x30200 is not cluster aligned");
        refused(v3().putLong(L1_OFFSET, FILE_SIZE), "L1 table at 0x100000", "lies outside the file");
        refused(v3().putLong(L1_OFFSET, -CLUSTER), "L1 table", "lies outside the file");
        refused(v3().putLong(L1_OFFSET, Long.MAX_VALUE - 7), "L1 table", "lies outside the file");
        // The table starts inside the file and runs past its end (a truncated file).
        refused(v3().putLong(L1_OFFSET, 3L * CLUSTER), 3L * CLUSTER + 8, "L1 table", "lies outside the file");
    }

    @Test
    void refusesMisplacedOrAbsurdRefcountTables() {
        refused(v3().putInt(REFTABLE_CLUSTERS, 0), "refcount table has no clusters");
        refused(v3().putInt(REFTABLE_CLUSTERS, 129), "refcount table of 129 clusters is larger than 8 MiB");
        refused(v3().putInt(REFTABLE_CLUSTERS, -1), "refcount table of 4294967295 clusters");
        refused(v3().putLong(REFTABLE_OFFSET, 0), "refcount table overlaps the header");
        refused(v3().putLong(REFTABLE_OFFSET, CLUSTER + 8), "refcount table offset", "not cluster aligned");
        refused(v3().putLong(REFTABLE_OFFSET, 1L << 40), "refcount table", "lies outside the file");
        refused(v3().putInt(REFTABLE_CLUSTERS, 16), "refcount table", "lies outside the file");
    }

    @Test
    void refusesAbsurdSnapshotTables() {
        refused(v3().putInt(SNAPSHOTS, 65537), "absurd snapshot count 65537");
        refused(v3().putInt(SNAPSHOTS, -1), "absurd snapshot count 4294967295");
        refused(v3().putInt(SNAPSHOTS, 1).putLong(SNAPSHOTS_OFFSET, 0), "snapshot table overlaps the header");
        refused(v3().putInt(SNAPSHOTS, 1).putLong(SNAPSHOTS_OFFSET, FILE_SIZE), "snapshot table", "outside the file");
        refused(v3().putInt(SNAPSHOTS, 1).putLong(SNAPSHOTS_OFFSET, 4L * CLUSTER + 40), "snapshot table", "not cluster aligned");
    }

    @Test
    void refusesAbsurdBackingNameLengths() {
        refused(withBacking(v3(), 512, "b").putInt(BACKING_SIZE, 1024), "backing file name length 1024 outside 1..1023");
        refused(withBacking(v3(), 512, "b").putInt(BACKING_SIZE, -1), "backing file name length 4294967295");
    }

    @Test
    void readsAnEmptyBackingNameAsNoBackingFileAsQemuDoes() {
        Header h = parse(withBacking(v3(), 512, "b").putInt(BACKING_SIZE, 0));
        assertThat(h.backingFile()).isEmpty();
        // wherever its offset points
        assertThat(parse(v3().putLong(BACKING_OFFSET, Long.MAX_VALUE)).backingFile()).isEmpty();
    }

    @Test
    void refusesBackingNamesOutsideTheFirstCluster() {
        refused(withBacking(v3(), 512, "base").putLong(BACKING_OFFSET, 64), "backing file name at offset 64",
                "outside the first cluster");
        refused(withBacking(v3(), 512, "base").putLong(BACKING_OFFSET, CLUSTER - 2), "outside the first cluster");
        refused(withBacking(v3(), 512, "base").putLong(BACKING_OFFSET, -1), "outside the first cluster");
    }

    @Test
    void refusesBackingNameOffsetsThatOverflowWhenTheLengthIsAdded() {
        // offset + length wraps to a negative number: the bound must not be computed by addition.
        refused(withBacking(v3(), 512, "base").putLong(BACKING_OFFSET, Long.MAX_VALUE - 1), "outside the first cluster");
    }

    @Test
    void refusesHeaderExtensionsThatOverrunTheHeaderArea() {
        ByteBuffer b = v3();
        b.putInt(V3_LENGTH, Header.EXT_BACKING_FORMAT);
        b.putInt(V3_LENGTH + 4, -1);
        refused(b, "header extension 0xe2792aca of 4294967295 bytes overruns the header area");
        // With a backing name, the area ends where the name starts.
        ByteBuffer c = v3();
        extension(c, V3_LENGTH, 0x1234, new byte[64]);
        withBacking(c, V3_LENGTH + 40, "base");
        refused(c, "header extension 0x1234 of 64 bytes overruns the header area");
    }

    @Test
    void refusesBogusBitmapsExtensions() {
        refused(bitmaps(new byte[16]), "bitmaps extension too short (16 bytes)");
        refused(bitmaps(ByteBuffer.allocate(24).putInt(0, 0).putLong(8, 64).putLong(16, 5L * CLUSTER).array()),
                "bitmaps extension names 0 bitmaps");
        refused(bitmaps(ByteBuffer.allocate(24).putInt(0, 65536).putLong(8, 64).putLong(16, 5L * CLUSTER).array()),
                "bitmaps extension names 65536 bitmaps");
        refused(bitmaps(ByteBuffer.allocate(24).putInt(0, 1).putLong(8, -1).putLong(16, 5L * CLUSTER).array()),
                "absurd bitmap directory size -1");
        refused(bitmaps(ByteBuffer.allocate(24).putInt(0, 1).putLong(8, 64).putLong(16, 0).array()),
                "bitmap directory overlaps the header");
        refused(bitmaps(ByteBuffer.allocate(24).putInt(0, 1).putLong(8, 64).putLong(16, FILE_SIZE).array()),
                "bitmap directory", "outside the file");
    }

    private static ByteBuffer bitmaps(byte[] data) {
        ByteBuffer b = v3();
        extension(b, V3_LENGTH, Header.EXT_BITMAPS, data);
        return b;
    }
}
