package io.understudy.agent.qcow2;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.DynamicTest.dynamicTest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.understudy.agent.testing.Cli;
import io.understudy.agent.testing.Qemu;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Consumer;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

/**
 * Hostile and damaged images, generated from valid ones that qemu-img and qemu-io made: every
 * command that reads an image must refuse them with exit 3 and one line on stderr that names the
 * file and the reason — never an internal error, a trace, a hang, or output left behind — and a
 * seeded fuzzer checks that whatever it does to the metadata ends in exit 0 or 3, with
 * {@code image check} judging corrupt-vs-clean as {@code qemu-img check} does.
 */
class DamagedImagesIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long SIZE = 4L << 20;
    private static final int K64 = 65536;
    private static final Duration PER_RUN = Duration.ofSeconds(20);

    // Header fields (qemu's docs/interop/qcow2.rst).
    private static final int VERSION = 4;
    private static final int BACKING_OFFSET = 8;
    private static final int BACKING_SIZE = 16;
    private static final int CLUSTER_BITS = 20;
    private static final int VSIZE = 24;
    private static final int CRYPT = 32;
    private static final int L1_SIZE = 36;
    private static final int L1_OFFSET = 40;
    private static final int REFTABLE_OFFSET = 48;
    private static final int REFTABLE_CLUSTERS = 56;
    private static final int SNAPSHOTS = 60;
    private static final int SNAPSHOTS_OFFSET = 64;
    private static final int INCOMPAT = 72;
    private static final int REFCOUNT_ORDER = 96;
    private static final int HEADER_LENGTH = 100;

    private static final long OFFSET_MASK = 0x00ff_ffff_ffff_fe00L;
    private static final long COPIED = 1L << 63;
    private static final long COMPRESSED = 1L << 62;

    @TempDir
    static Path lib;

    @TempDir
    Path work;

    /** Valid images, 4 MiB virtual each, with data, zeros and (where the variant has them) compressed clusters. */
    private static Path v3;
    private static Path v2;
    private static Path small;
    private static Path refcount1;
    private static Path deflate;
    private static Path zstd;
    private static Path extl2;
    private static Path huge;
    private static Path overlay;
    private static Path snapshot;
    private static Path bitmap;
    /** A valid image with other content, the other side of every diff, and a delta from v3 to it that names its base. */
    private static Path partner;
    private static Path delta;

    @BeforeAll
    static void makeValidImages() {
        v3 = written(create("v3.qcow2", "compat=1.1,cluster_size=64k"));
        v2 = written(create("v2.qcow2", "compat=0.10,cluster_size=64k"));
        small = written(create("small.qcow2", "compat=1.1,cluster_size=512"));
        refcount1 = written(create("refcount1.qcow2", "compat=1.1,cluster_size=4k,refcount_bits=1"));
        extl2 = written(create("extl2.qcow2", "compat=1.1,cluster_size=64k,extended_l2=on"));
        Qemu.io(extl2, "write -P 0x44 " + (8 * K64 + 2048) + " 6k", "write -z 40k 2k");
        huge = written(create("huge.qcow2", "compat=1.1,cluster_size=2M"));
        // Compressed clusters of text: big enough that cutting their stream short or spoiling it shows.
        Path text = lib.resolve("text.bin");
        Random random = new Random(1);
        byte[] hex = new byte[K64];
        for (int i = 0; i < hex.length; i++) {
            hex[i] = (byte) "0123456789abcdef".charAt(random.nextInt(16));
        }
        try {
            Files.write(text, hex);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        deflate = compressed(create("deflate.qcow2", "compat=1.1,cluster_size=64k"), text);
        zstd = compressed(create("zstd.qcow2", "compat=1.1,cluster_size=64k,compression_type=zstd"), text);
        overlay = lib.resolve("overlay.qcow2");
        Qemu.img("create", "-q", "-f", "qcow2", "-b", v3.toString(), "-F", "qcow2", overlay.toString());
        Qemu.io(overlay, "write -P 0x55 64k 64k", "write -z 0 4k", "write -P 0x56 3M 128k");
        snapshot = written(create("snapshot.qcow2", "compat=1.1,cluster_size=64k"));
        Qemu.img("snapshot", "-c", "s1", snapshot.toString());
        Qemu.io(snapshot, "write -P 0x66 0 128k");
        bitmap = written(create("bitmap.qcow2", "compat=1.1,cluster_size=64k"));
        Qemu.img("bitmap", "--add", bitmap.toString(), "b0");
        Qemu.io(bitmap, "write -P 0x77 2M 64k");
        partner = create("partner.qcow2", "compat=1.1,cluster_size=64k");
        Qemu.io(partner, "write -P 0x99 0 192k", "write -P 0x98 3M 64k");
        delta = lib.resolve("v3-to-partner.delta");
        ok(Cli.run("image", "diff", "--hash-base", "--from", v3.toString(), "--to", partner.toString(),
                "--out", delta.toString()));
    }

    private static Path create(String name, String options) {
        Path p = lib.resolve(name);
        Qemu.img("create", "-q", "-f", "qcow2", "-o", options, p.toString(), Long.toString(SIZE));
        return p;
    }

    /** Data in the first cluster, a small write, zeros, and data in the last cluster of the disk. */
    private static Path written(Path p) {
        Qemu.io(p, "write -P 0x11 0 64k", "write -P 0x22 1M 4k", "write -z 2M 64k", "write -P 0x33 4032k 64k");
        return p;
    }

    private static Path compressed(Path p, Path text) {
        Qemu.io(p, "write -c -s " + text + " 0 64k", "write -P 0x22 1M 4k", "write -c -s " + text + " 4032k 64k");
        return p;
    }

    private static void ok(Cli.Result r) {
        assertThat(r.exit()).as("exit of a valid run; stderr: %s", r.err()).isZero();
    }

    // =====================================================================================
    // The corpus: named damages, each refused by every command that reads what was damaged.
    // =====================================================================================

    /** Which commands must notice a damage: what they read decides. */
    enum Scope {
        /** The header or the chain: refused when the image is opened, by every command. */
        OPEN(true, true, true, true),
        /** Guest-data metadata (L1, L2, where data lies): refused by every command that maps or reads the data. */
        READ(true, true, true, false),
        /** The same, in a backing file: {@code check}, like qemu-img check, looks at the top file alone. */
        BACKING(true, false, true, false),
        /**
         * Compressed bytes that do not decompress: the structure is sound, so map and check (which do
         * not decompress, nor does qemu-img check) pass; every command that reads the data refuses.
         */
        CONTENT(false, false, true, false),
        /** Refcounts and other bookkeeping the guest never reads: only check refuses; reads stay right. */
        CHECK(false, true, false, false);

        final boolean map;
        final boolean check;
        final boolean read;
        final boolean open;

        Scope(boolean map, boolean check, boolean read, boolean open) {
            this.map = map;
            this.check = check;
            this.read = read;
            this.open = open;
        }
    }

    /**
     * @param image  the image handed to the commands
     * @param named  the file the error must name (the damaged one: the image or a file of its chain)
     * @param reason a regular expression the error must contain
     */
    record Damage(String name, Scope scope, Path image, String named, String reason) {
        @Override
        public String toString() {
            return name;
        }
    }

    @TestFactory
    Stream<DynamicTest> headerDamageIsRefusedByEveryCommand() throws IOException {
        List<Damage> cases = new ArrayList<>();
        long v3Size = Files.size(v3);
        cases.add(header("version-1", v3, "unsupported qcow2 version 1", b -> b.putInt(VERSION, 1)));
        cases.add(header("version-4", v2, "unsupported qcow2 version 4", b -> b.putInt(VERSION, 4)));
        cases.add(header("cluster-bits-8", v3, "cluster_bits 8", b -> b.putInt(CLUSTER_BITS, 8)));
        cases.add(header("cluster-bits-huge", v2, "cluster_bits 4294967295", b -> b.putInt(CLUSTER_BITS, -1)));
        cases.add(header("virtual-size-negative", v3, "absurd virtual size", b -> b.putLong(VSIZE, -1)));
        cases.add(header("virtual-size-2^60", v2, "absurd virtual size", b -> b.putLong(VSIZE, 1L << 60)));
        cases.add(header("virtual-size-beyond-l1", v3, "L1 table has 1 entries", b -> b.putLong(VSIZE, 1L << 40)));
        cases.add(header("crypt-method-aes", v3, "encrypted", b -> b.putInt(CRYPT, 1)));
        cases.add(header("crypt-method-luks", v2, "encrypted", b -> b.putInt(CRYPT, 2)));
        cases.add(header("l1-size-0", v3, "L1 table has 0 entries", b -> b.putInt(L1_SIZE, 0)));
        cases.add(header("l1-size-huge", v3, "larger than 32 MiB", b -> b.putInt(L1_SIZE, -1)));
        cases.add(header("l1-over-header", v3, "L1 table overlaps the header", b -> b.putLong(L1_OFFSET, 0)));
        cases.add(header("l1-outside", v3, "L1 table .*outside the file", b -> b.putLong(L1_OFFSET, v3Size + K64)));
        cases.add(header("l1-far-outside", v2, "L1 table .*outside the file", b -> b.putLong(L1_OFFSET, Long.MIN_VALUE)));
        cases.add(header("l1-unaligned", v3, "L1 table offset .* not cluster aligned",
                b -> b.putLong(L1_OFFSET, b.getLong(L1_OFFSET) + 8)));
        cases.add(header("reftable-over-header", v3, "refcount table overlaps the header",
                b -> b.putLong(REFTABLE_OFFSET, 0)));
        cases.add(header("reftable-outside", v2, "refcount table .*outside the file",
                b -> b.putLong(REFTABLE_OFFSET, 1L << 50)));
        cases.add(header("reftable-unaligned", v3, "refcount table offset .* not cluster aligned",
                b -> b.putLong(REFTABLE_OFFSET, b.getLong(REFTABLE_OFFSET) + 512)));
        cases.add(header("reftable-no-clusters", v3, "refcount table has no clusters", b -> b.putInt(REFTABLE_CLUSTERS, 0)));
        cases.add(header("reftable-huge", v3, "refcount table of 4294967295 clusters",
                b -> b.putInt(REFTABLE_CLUSTERS, -1)));
        cases.add(header("reftable-runs-past-end", small, "refcount table .*outside the file",
                b -> b.putInt(REFTABLE_CLUSTERS, (8 << 20) / 512)));
        cases.add(header("snapshots-huge", v3, "absurd snapshot count", b -> b.putInt(SNAPSHOTS, -1)));
        cases.add(header("snapshot-table-outside", v3, "snapshot table .*outside the file",
                b -> b.putInt(SNAPSHOTS, 1).putLong(SNAPSHOTS_OFFSET, v3Size)));
        cases.add(header("incompat-unknown-bit", v3, "unknown incompatible feature bits 0x20",
                b -> b.putLong(INCOMPAT, 1L << 5)));
        cases.add(header("incompat-top-bit", v3, "unknown incompatible feature bits 0x8000000000000000",
                b -> b.putLong(INCOMPAT, 1L << 63)));
        cases.add(header("corrupt-bit", v3, "marked corrupt", b -> b.putLong(INCOMPAT, 2)));
        cases.add(header("data-file-bit", v3, "external data file", b -> b.putLong(INCOMPAT, 4)));
        cases.add(header("compression-bit-without-type", v3, "compression type bit set",
                b -> b.putLong(INCOMPAT, 8)));
        cases.add(header("zstd-type-unknown", zstd, "unknown compression type 9", b -> b.put(104, (byte) 9)));
        cases.add(header("extended-l2-small-clusters", refcount1, "extended L2",
                b -> b.putLong(INCOMPAT, 16)));
        cases.add(header("refcount-order-7", v3, "refcount_order 7", b -> b.putInt(REFCOUNT_ORDER, 7)));
        cases.add(header("header-length-0", v3, "invalid header_length 0", b -> b.putInt(HEADER_LENGTH, 0)));
        cases.add(header("header-length-huge", v3, "invalid header_length 4294967288",
                b -> b.putInt(HEADER_LENGTH, -8)));
        cases.add(header("header-length-odd", v3, "invalid header_length 113", b -> b.putInt(HEADER_LENGTH, 113)));
        // qemu-img create writes a feature-name table extension at 112 in every v3 header.
        cases.add(header("extension-length-huge", v3, "header extension 0x6803f857 .* overruns",
                b -> b.putInt(116, -1)));
        cases.add(header("extension-encryption", v3, "encryption header", b -> b.putInt(112, 0x0537be77)));
        cases.add(header("extension-data-file", v3, "external data file", b -> b.putInt(112, 0x44415441)));
        cases.add(header("extension-bitmaps-bogus", bitmap, "bitmap",
                b -> b.putLong(extensionData(b, 0x23852875) + 8, 1L << 40)));
        cases.add(header("backing-name-length-huge", overlay, "backing file name length 4294967295",
                b -> b.putInt(BACKING_SIZE, -1)));
        cases.add(header("backing-name-length-1024", overlay, "backing file name length 1024",
                b -> b.putInt(BACKING_SIZE, 1024)));
        cases.add(header("backing-name-past-cluster", overlay, "outside the first cluster",
                b -> b.putLong(BACKING_OFFSET, K64 - 4)));
        cases.add(header("backing-name-offset-overflows", overlay, "outside the first cluster",
                b -> b.putLong(BACKING_OFFSET, Long.MAX_VALUE - 3)));
        cases.add(header("backing-name-over-header", overlay, "outside the first cluster",
                b -> b.putLong(BACKING_OFFSET, 16)));
        return cases.stream().map(d -> dynamicTest(d.name(), () -> assertRefused(d)));
    }

    @TestFactory
    Stream<DynamicTest> tableDamageIsRefusedByEveryCommandThatReadsData() throws IOException {
        List<Damage> cases = new ArrayList<>();
        for (Path base : List.of(v3, v2, small, huge, extl2)) {
            String v = base.getFileName().toString().replace(".qcow2", "");
            Layout l = Layout.of(base);
            // the first whole cluster past the end (an extended-L2 file may end inside a cluster)
            long past = (Files.size(base) + l.clusterSize() - 1) & -l.clusterSize();
            long farthest = OFFSET_MASK & -l.clusterSize();
            cases.add(table(v + "-l2-table-outside", base, "L2 table at .* outside the file", l.l1Offset(), past));
            cases.add(table(v + "-l2-table-far-outside", base, "L2 table at .* outside the file", l.l1Offset(), farthest));
            long entry = l.firstDataEntry();
            long value = l.word(entry);
            cases.add(table(v + "-data-outside", base, "data cluster at .* outside the file",
                    entry, (value & ~OFFSET_MASK) | past));
            cases.add(table(v + "-data-far-outside", base, "data cluster at .* outside the file",
                    entry, (value & ~OFFSET_MASK) | farthest));
            if (l.clusterSize() > 512) { // with 512-byte clusters every offset an entry can hold is aligned
                cases.add(table(v + "-l2-table-unaligned", base, "L2 table offset .* not cluster aligned",
                        l.l1Offset(), l.l1(0) + 512));
                cases.add(table(v + "-data-unaligned", base, "not cluster aligned", entry, value + 512));
            }
        }
        Layout e = Layout.of(extl2);
        long ext = e.firstDataEntry();
        cases.add(table("extl2-allocated-and-zero", extl2, "both allocated and zero", ext + 8, 0x0000_0001_0000_0001L));
        cases.add(table("extl2-allocated-without-host", extl2, "allocated subclusters without a host cluster",
                e.firstUnallocatedEntry(), 0, 0x1L));
        cases.add(table("extl2-compressed-with-bitmap", extl2, "compressed cluster.* with a subcluster bitmap",
                ext, COMPRESSED | (e.word(ext) & OFFSET_MASK), 0xffL));
        for (Path base : List.of(deflate, zstd)) {
            String v = base.getFileName().toString().replace(".qcow2", "");
            Layout l = Layout.of(base);
            long c = l.firstCompressedEntry();
            long word = l.word(c);
            int shift = 62 - (l.clusterBits() - 8);
            long sectors = word & ~((1L << shift) - 1);
            // check counts the header cluster twice; map and reads refuse the offset itself
            cases.add(table(v + "-compressed-over-header", base,
                    "compressed cluster .* outside the file|cluster 0 has refcount 1 but 2 references",
                    c, sectors | 0x100));
            cases.add(table(v + "-compressed-outside", base, "compressed cluster .* outside the file",
                    c, sectors | (Files.size(base) + 512)));
            Path garbage = copy(base, v + "-compressed-garbage");
            long data = word & ((1L << shift) - 1);
            byte[] noise = new byte[256];
            new Random(7).nextBytes(noise);
            patch(garbage, data, noise);
            cases.add(new Damage(v + "-compressed-garbage", Scope.CONTENT, garbage, garbage.getFileName().toString(),
                    "compressed cluster for guest offset 0x0 .*(damaged|decompresses)"));
            // One sector less than the data needs: the stream ends early.
            cases.add(words(v + "-compressed-cut-short", Scope.CONTENT, base,
                    "compressed cluster for guest offset 0x0 .*(damaged|decompresses)", c, COMPRESSED | data));
        }
        return cases.stream().map(d -> dynamicTest(d.name(), () -> assertRefused(d)));
    }

    @TestFactory
    Stream<DynamicTest> bookkeepingDamageIsFoundByCheckAndDoesNotChangeWhatIsRead() throws IOException {
        List<Damage> cases = new ArrayList<>();
        for (Path base : List.of(v3, v2, small, refcount1)) {
            String v = base.getFileName().toString().replace(".qcow2", "");
            Layout l = Layout.of(base);
            cases.add(check(v + "-refblock-outside", base, "refcount block .* outside the file",
                    l.reftableOffset(), Files.size(base) + l.clusterSize()));
            if (l.clusterSize() > 512) {
                cases.add(check(v + "-refblock-unaligned", base, "refcount block .* not cluster aligned",
                        l.reftableOffset(), l.word(l.reftableOffset()) + 512));
            }
            // What qemu-img check also calls corruption: bits the format reserves, set.
            cases.add(check(v + "-refcount-table-reserved-bits", base, "refcount table entry 0 has reserved bits set",
                    l.reftableOffset(), l.word(l.reftableOffset()) | 0x10));
            cases.add(check(v + "-l1-reserved-bits", base, "L1 entry 0 has reserved bits set",
                    l.l1Offset(), l.word(l.l1Offset()) | 1L << 60));
            int free = l.firstFreeL1Entry();
            if (free >= 0) {
                cases.add(check(v + "-l1-flags-without-table", base, "L1 entry " + free + " has flags but no L2 table",
                        l.l1Offset() + 8L * free, COPIED));
            }
            cases.add(check(v + "-l2-reserved-bits", base, "L2 entry .* has reserved bits set",
                    l.firstDataEntry(), l.word(l.firstDataEntry()) | 1L << 57));
            // Every refcount of the first block zeroed: data clusters still referenced with refcount 0.
            Path zeroed = copy(base, v + "-refcounts-zero");
            patch(zeroed, l.word(l.reftableOffset()), new byte[l.clusterSize()]);
            cases.add(new Damage(v + "-refcounts-zero", Scope.CHECK, zeroed, zeroed.getFileName().toString(),
                    "refcount 0 but 1 references"));
            // A data cluster that is really the L1 table: reads as data, as QEMU reads it; check sees two users.
            long entry = l.firstDataEntry();
            cases.add(check(v + "-data-is-l1-table", base, "refcount 1 but 2 references",
                    entry, (l.word(entry) & ~OFFSET_MASK) | l.l1Offset()));
            if (l.version() == 3) {
                cases.add(check(v + "-copied-flag-cleared", base, "copied flag",
                        entry, l.word(entry) & ~COPIED));
            }
        }
        Layout s = Layout.of(snapshot);
        long snapL1 = s.snapshotTable();
        cases.add(check("snapshot-l1-outside", snapshot, "snapshot 0 has an invalid L1 table",
                snapL1, Files.size(snapshot) + K64));
        Layout b = Layout.of(bitmap);
        long dir = b.bitmapDirectory();
        // The bitmap directory entry's extra data size (bytes 20..23): 4 GiB would wrap an int position.
        Path extra = copy(bitmap, "bitmap-extra-data-huge");
        patch(extra, dir + 20, ByteBuffer.allocate(4).putInt(-8).array());
        cases.add(new Damage("bitmap-extra-data-huge", Scope.CHECK, extra, extra.getFileName().toString(), "bitmap"));
        cases.add(check("bitmap-table-outside", bitmap, "bitmap 0 has an invalid table", dir, 1L << 40));
        return cases.stream().map(d -> dynamicTest(d.name(), () -> assertRefused(d)));
    }

    /**
     * LUKS times its key derivation on the thread's CPU clock, which counts in scheduler ticks: on a
     * busy machine the first timing can read 0 ms and qemu-img gives up ("Unable to get accurate CPU
     * usage"). That is qemu-img's measurement, not the image: try again, a few times.
     */
    private static void createEncrypted(Path p, String format) {
        createWithKey(List.of("qemu-img", "create", "-q", "-f", "qcow2", "--object", "secret,id=s0,data=secret",
                "-o", "encrypt.format=" + format + ",encrypt.key-secret=s0", p.toString(), Long.toString(SIZE)));
    }

    /** Runs CREATE, a qemu-img create that derives a key, as {@link #createEncrypted} explains. */
    private static void createWithKey(List<String> create) {
        for (int attempt = 1; ; attempt++) {
            Qemu.Run r = Qemu.exec(create);
            if (r.exit() == 0) {
                return;
            }
            if (attempt == 5 || !r.err().contains("Unable to get accurate CPU usage")) {
                throw new AssertionError(String.join(" ", create) + " failed (" + r.exit() + "): " + r.err());
            }
        }
    }

    @TestFactory
    Stream<DynamicTest> refusedFeaturesAndChainsMadeByQemu() throws IOException {
        List<Damage> cases = new ArrayList<>();
        for (String format : List.of("luks", "aes")) {
            Path dir = caseDir("encrypted-" + format);
            Path p = dir.resolve(format + ".qcow2");
            createEncrypted(p, format);
            cases.add(new Damage("encrypted-" + format, Scope.OPEN, p, p.getFileName().toString(), "encrypted"));
        }
        Path dataFileDir = caseDir("external-data-file");
        Path dataFile = dataFileDir.resolve("with-data-file.qcow2");
        Qemu.img("create", "-q", "-f", "qcow2", "-o", "data_file=" + dataFileDir.resolve("data.raw"),
                dataFile.toString(), Long.toString(SIZE));
        cases.add(new Damage("external-data-file", Scope.OPEN, dataFile, dataFile.getFileName().toString(),
                "external data file"));

        Path loopDir = caseDir("loop-a-b-a");
        Path a = emptyImage(loopDir.resolve("a.qcow2"));
        Path b = loopDir.resolve("b.qcow2");
        Qemu.img("create", "-q", "-f", "qcow2", "-u", "-b", "a.qcow2", "-F", "qcow2", b.toString(), Long.toString(SIZE));
        Qemu.img("rebase", "-u", "-b", "b.qcow2", "-F", "qcow2", a.toString());
        cases.add(new Damage("loop-a-b-a", Scope.OPEN, a, "a.qcow2", "backing chain loops back to .*a.qcow2"));

        Path selfDir = caseDir("loop-self");
        Path self = emptyImage(selfDir.resolve("self.qcow2"));
        Qemu.img("rebase", "-u", "-b", "self.qcow2", "-F", "qcow2", self.toString());
        cases.add(new Damage("loop-self", Scope.OPEN, self, "self.qcow2", "backing chain loops back"));

        Path linkDir = caseDir("loop-through-symlink");
        Path c = emptyImage(linkDir.resolve("c.qcow2"));
        Files.createSymbolicLink(linkDir.resolve("link.qcow2"), c.getFileName());
        Qemu.img("rebase", "-u", "-b", "link.qcow2", "-F", "qcow2", c.toString());
        cases.add(new Damage("loop-through-symlink", Scope.OPEN, c, "c.qcow2", "backing chain loops back"));

        Path deepDir = caseDir("chain-65-deep");
        Path top = chain(deepDir, BackingChain.MAX_DEPTH + 1);
        cases.add(new Damage("chain-65-deep", Scope.OPEN, top, top.getFileName().toString(),
                "backing chain deeper than 64 layers"));

        Path missingDir = caseDir("backing-missing");
        Path missing = missingDir.resolve("orphan.qcow2");
        Qemu.img("create", "-q", "-f", "qcow2", "-u", "-b", "gone.qcow2", "-F", "qcow2", missing.toString(),
                Long.toString(SIZE));
        cases.add(new Damage("backing-missing", Scope.OPEN, missing, "orphan.qcow2", "backing file .*gone.qcow2 does not exist"));

        for (String format : List.of("vmdk", "qed", "vhdx", "luks")) {
            Path dir = caseDir("backing-" + format);
            Path other = dir.resolve("base." + format);
            if (format.equals("luks")) {
                createWithKey(List.of("qemu-img", "create", "-q", "-f", "luks", "--object", "secret,id=s0,data=secret",
                        "-o", "key-secret=s0", other.toString(), Long.toString(SIZE)));
            } else {
                Qemu.img("create", "-q", "-f", format, other.toString(), Long.toString(SIZE));
            }
            // Named with its format: refused by the name.
            Path declared = dir.resolve("declared.qcow2");
            Qemu.img("create", "-q", "-f", "qcow2", "-u", "-b", other.getFileName().toString(), "-F", format,
                    declared.toString(), Long.toString(SIZE));
            cases.add(new Damage("backing-" + format + "-declared", Scope.OPEN, declared, "declared.qcow2",
                    "backing format '" + format + "' is not supported"));
            // Named without a format (the extension's type overwritten): probed, and refused by its magic.
            Path probed = dir.resolve("probed.qcow2");
            Files.copy(declared, probed);
            patchHeader(probed, h -> h.putInt(extensionData(h, 0xe2792aca) - 8, 0x0badf00d));
            cases.add(new Damage("backing-" + format + "-probed", Scope.OPEN, probed, other.getFileName().toString(),
                    "is a " + format + " image"));
        }

        cases.add(backingName("backing-name-with-nul", "a\0b.qcow2", "backing file name"));
        cases.add(backingName("backing-json-protocol", "json:{\"file.driver\":\"nbd\"}", "uses a protocol"));
        cases.add(backingName("backing-nbd-protocol", "nbd://127.0.0.1:10809/x", "uses a protocol"));
        cases.add(backingName("backing-name-with-controls", "gone\n\u001b[2J.qcow2", "does not exist"));
        Damage dirBacking = backingName("backing-is-a-directory", "sub", "not a regular file");
        Files.createDirectory(dirBacking.image().resolveSibling("sub"));
        cases.add(dirBacking);

        // A damaged file deeper in the chain: the error names it, not the top.
        for (Scope scope : List.of(Scope.OPEN, Scope.READ)) {
            Path dir = caseDir("damaged-backing-" + scope);
            Path base = dir.resolve("damaged-base.qcow2");
            Files.copy(v3, base);
            Layout l = Layout.of(base);
            if (scope == Scope.OPEN) {
                patchHeader(base, h -> h.putLong(L1_OFFSET, 1L << 45));
            } else {
                patch(base, l.firstDataEntry(), longBytes(l.word(l.firstDataEntry()) | 1L << 50));
            }
            Path over = dir.resolve("over.qcow2");
            Qemu.img("create", "-q", "-f", "qcow2", "-u", "-b", "damaged-base.qcow2", "-F", "qcow2", over.toString(),
                    Long.toString(SIZE));
            cases.add(new Damage("damaged-backing-" + scope, scope == Scope.OPEN ? scope : Scope.BACKING, over, "damaged-base.qcow2", "outside the file"));
        }
        return cases.stream().map(d -> dynamicTest(d.name(), () -> assertRefused(d)));
    }

    @Test
    void aChainOfExactlyMaxDepthIsRead() throws IOException {
        Path top = chain(work, BackingChain.MAX_DEPTH);
        Cli.Result r = run("image", "map", top.toString());
        ok(r);
        assertThat(r.out()).contains("\"depth\": " + (BackingChain.MAX_DEPTH - 1));
        ok(run("image", "check", top.toString()));
    }

    // ---- amplification: a small file that describes enormous work must not hang a command

    @Test
    void aSparseTailOfATerabyteCostsNothing() throws IOException {
        Path p = copy(small, "sparse-tail");
        try (FileChannel ch = FileChannel.open(p, StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.wrap(new byte[1]), (1L << 40) - 1); // 2^31 clusters of 512 bytes, all a hole
        }
        Cli.Result map = run("image", "map", p.toString());
        ok(map);
        assertThat(map.out()).isEqualTo(run("image", "map", small.toString()).out());
        Cli.Result check = run("image", "check", p.toString());
        ok(check);
        assertThat(JSON.readTree(check.out()).get("leaks").asLong()).isZero();
    }

    @Test
    void referencesScatteredOverASparseTerabyteDoNotExhaustMemory() throws IOException {
        Path p = copy(small, "scattered-references");
        // 1024 new L2 tables of 64 entries (512-byte clusters), each entry a data cluster 2^16
        // clusters after the previous one: 65536 references over a 2 TiB file that is all hole.
        long cluster = 512;
        long l1 = (Files.size(p) + cluster - 1) & -cluster;
        int tables = 1024;
        long l2 = l1 + tables * 8L;
        ByteBuffer meta = ByteBuffer.allocate((int) (tables * 8L + tables * cluster));
        for (int i = 0; i < tables; i++) {
            meta.putLong((l2 + i * cluster) | COPIED);
        }
        for (long k = 0; k < tables * 64L; k++) {
            meta.putLong(((k << 16) + 1000) * cluster | COPIED);
        }
        patch(p, l1, meta.array());
        patchHeader(p, h -> h.putLong(VSIZE, tables * 64L * cluster).putInt(L1_SIZE, tables).putLong(L1_OFFSET, l1));
        try (FileChannel ch = FileChannel.open(p, StandardOpenOption.WRITE)) {
            ch.truncate(1L << 41).write(ByteBuffer.wrap(new byte[1]), (1L << 41) - 1);
        }
        ok(run("image", "map", p.toString()));
        // Refcounts say nothing about those clusters: corrupt, and said so, with memory to spare.
        Damage d = new Damage("scattered-references", Scope.CHECK, p, p.getFileName().toString(),
                "refcount 0 but 1 references|too large to check");
        refused(d, "image", "check", p.toString());
    }

    @Test
    void anL1TableNamingOneL2TableMillionsOfTimesIsCheckedQuickly() throws IOException {
        Path p = copy(v3, "one-l2-table-4m-times");
        Layout l = Layout.of(p);
        long l1 = Files.size(p); // a new L1 table after the end: 4M entries, 32 MiB, all the same table
        int entries = (32 << 20) / 8;
        ByteBuffer table = ByteBuffer.allocate(entries * 8);
        for (int i = 0; i < entries; i++) {
            table.putLong(l.l1(0) | COPIED);
        }
        patch(p, l1, table.array());
        patchHeader(p, h -> h.putInt(L1_SIZE, entries).putLong(L1_OFFSET, l1));
        ok(run("image", "map", p.toString()));
        Damage d = new Damage("one-l2-table-4m-times", Scope.CHECK, p, p.getFileName().toString(),
                "refcount 1 but .* references");
        refused(d, "image", "check", p.toString());
    }

    @Test
    void snapshotsNamingOneHugeL1TableAreRefusedQuickly() throws IOException {
        Path p = copy(v3, "snapshots-one-huge-l1");
        long l1 = Files.size(p); // 32 MiB of zeros past the end (a hole): an L1 table of 4M empty entries
        long snapshots = l1 + (32 << 20);
        int count = 65536;
        ByteBuffer table = ByteBuffer.allocate(count * 40);
        for (int i = 0; i < count; i++) {
            table.putLong(i * 40, l1).putInt(i * 40 + 8, (32 << 20) / 8);
        }
        patch(p, snapshots, table.array());
        patchHeader(p, h -> h.putInt(SNAPSHOTS, count).putLong(SNAPSHOTS_OFFSET, snapshots));
        ok(run("image", "map", p.toString()));
        Damage d = new Damage("snapshots-one-huge-l1", Scope.CHECK, p, p.getFileName().toString(),
                "snapshot L1 tables of more than .* too large to check");
        refused(d, "image", "check", p.toString());
    }

    /** Cut short at many points: every command that reads the lost part refuses. */
    @TestFactory
    Stream<DynamicTest> truncatedFilesAreRefused() throws IOException {
        List<DynamicTest> tests = new ArrayList<>();
        for (Path base : List.of(v3, small, extl2, deflate, overlay)) {
            Layout l = Layout.of(base);
            String v = base.getFileName().toString().replace(".qcow2", "");
            // Cut inside the header, and at and inside every cluster that guest reads need (the
            // tables and the data): up to the start of the last one, something they need is gone.
            long lastNeeded = l.lastGuestCluster();
            TreeSet<Long> cuts = new TreeSet<>(List.of(0L, 3L, 4L, 71L, 103L, 111L, l.clusterSize() - 1L));
            List<Long> needed = new ArrayList<>(l.neededClusters());
            int step = Math.max(1, needed.size() / 6); // a sample where there are many (512-byte clusters)
            for (int i = 0; i < needed.size(); i += step) {
                cuts.add(needed.get(i));
                cuts.add(needed.get(i) + l.clusterSize() / 2);
            }
            for (long cut : cuts.headSet(lastNeeded, true)) {
                String name = v + "-cut-" + cut;
                tests.add(dynamicTest(name, () -> {
                    Path p = copy(base, name);
                    try (FileChannel ch = FileChannel.open(p, StandardOpenOption.WRITE)) {
                        ch.truncate(cut);
                    }
                    // A file cut inside its magic is no qcow2 at all: read as raw, as QEMU probes it.
                    if (cut < 4) {
                        ok(run("image", "map", p.toString()));
                        return;
                    }
                    assertRefused(new Damage(name, cut < l.clusterSize() ? Scope.OPEN : Scope.READ, p,
                            p.getFileName().toString(), "truncated|outside the file|overlaps|too short|damaged|decompresses"));
                }));
            }
        }
        return tests.stream();
    }

    // ---- how a damage is judged

    private void assertRefused(Damage d) throws IOException {
        Path x = d.image();
        Path dir = x.getParent();
        Scope s = d.scope();
        if (s.map) {
            refused(d, "image", "map", x.toString());
        } else {
            // What this damage spoils is not what a map shows: it goes on, and agrees with QEMU's.
            Cli.Result map = run("image", "map", x.toString());
            ok(map);
            assertSameMap(d.name(), x, map.out());
        }
        if (s.check) {
            refused(d, "image", "check", x.toString());
        } else {
            ok(run("image", "check", x.toString()));
        }
        if (!s.read) {
            // Reads do not depend on what was damaged: a diff goes through.
            Path out = dir.resolve("seed.delta");
            ok(run("image", "diff", "--to", x.toString(), "--out", out.toString()));
            Files.delete(out);
            return;
        }
        refused(d, "image", "diff", "--to", x.toString(), "--out", dir.resolve("seed.delta").toString());
        refused(d, "image", "diff", "--from", x.toString(), "--to", partner.toString(),
                "--out", dir.resolve("from.delta").toString());
        refused(d, "image", "diff", "--from", partner.toString(), "--to", x.toString(),
                "--out", dir.resolve("to.delta").toString());
        refused(d, "image", "apply", "--base", x.toString(), "--delta", delta.toString(),
                "--out", dir.resolve("layer.qcow2").toString(), "--verify-base");
        if (s.open) {
            refused(d, "image", "apply", "--base", x.toString(), "--delta", delta.toString(),
                    "--out", dir.resolve("layer.qcow2").toString());
        }
    }

    private static void refused(Damage d, String... args) throws IOException {
        Path dir = d.image().getParent();
        Map<String, Long> before = listing(dir);
        Cli.Result r = run(args);
        String what = d.name() + ": " + String.join(" ", args);
        assertThat(r.exit()).as("%s exits 3 (stderr: %s)", what, r.err()).isEqualTo(3);
        assertOneLineNaming(r.err(), d.named(), d.reason(), what);
        assertThat(listing(dir)).as("%s leaves the directory as it was", what).isEqualTo(before);
        if (!args[1].equals("check")) {
            assertThat(r.out()).as("%s prints no result", what).isEmpty();
        }
    }

    private static void assertOneLineNaming(String err, String file, String reason, String what) {
        assertThat(err).as("%s: stderr", what).endsWith("\n");
        assertThat(err.strip()).as("%s: stderr is one line", what).doesNotContain("\n").isNotEmpty();
        assertThat(err).as("%s: stderr names the file", what).contains(file);
        assertThat(err).as("%s: stderr says no trace", what).doesNotContain("Exception", "at io.", "internal error");
        assertThat(err.strip()).as("%s: stderr has no control characters", what).doesNotContainPattern("[\\x00-\\x1f\\x7f]");
        assertThat(Pattern.compile(reason, Pattern.CASE_INSENSITIVE).matcher(err).find())
                .as("%s: stderr %s gives the reason /%s/", what, err.strip(), reason).isTrue();
    }

    private static Cli.Result run(String... args) {
        return assertTimeoutPreemptively(PER_RUN, () -> Cli.run(args), () -> "timed out: " + String.join(" ", args));
    }

    /** File names and sizes in {@code dir}: a refused command must leave no output, partial or whole. */
    private static Map<String, Long> listing(Path dir) throws IOException {
        Map<String, Long> files = new TreeMap<>();
        try (Stream<Path> s = Files.list(dir)) {
            for (Path p : (Iterable<Path>) s::iterator) {
                files.put(p.getFileName().toString(), Files.isRegularFile(p) ? Files.size(p) : -1);
            }
        }
        return files;
    }

    // =====================================================================================
    // The fuzzer: random damage to headers and metadata; every run ends in exit 0 or 3.
    // =====================================================================================

    private static final long SEED = 0x5eed_2a11L;

    /**
     * Known, intended differences from {@code qemu-img check} (ours is the stricter reading):
     * <ul>
     *   <li>An L2 table or refcount block that starts inside the file but runs past its end: QEMU
     *       reads the missing part as zeros and so may find nothing wrong (it loses the mappings
     *       the cut removed); we call the table outside the file. (Seen with hand-made cuts; the
     *       fuzzer does not cut files, so it does not meet this one.)</li>
     *   <li>A virtual size that is not a multiple of 512: QEMU counts whole sectors and drops the
     *       rest, so its map is shorter than ours; we keep the size the header states, as the
     *       layer writer does (a replica of such an image has the same size, so QEMU reads both
     *       the same way). The maps are compared only for whole-sector sizes.</li>
     * </ul>
     */
    @Test
    void fuzzedMetadataEndsInExit0Or3AndCheckAgreesWithQemu() throws IOException {
        int iterations = Integer.getInteger("understudy.fuzz.iterations", 600);
        Random random = new Random(SEED);
        // (not the 2 MiB-cluster image: 14 MB to copy per run buys nothing the others do not)
        List<Path> bases = List.of(v3, v2, small, refcount1, deflate, zstd, extl2, overlay, snapshot, bitmap);
        Map<Path, Layout> layouts = new TreeMap<>();
        for (Path base : bases) {
            layouts.put(base, Layout.of(base));
        }
        List<String> disagreements = new ArrayList<>();
        int refusedAtOpen = 0;
        int foundCorrupt = 0;
        int clean = 0;
        for (int i = 0; i < iterations; i++) {
            Path base = bases.get(random.nextInt(bases.size()));
            Layout layout = layouts.get(base);
            Path image = work.resolve("fuzz-" + i + "-" + base.getFileName());
            Files.copy(base, image);
            List<String> mutations = new ArrayList<>();
            int count = 1 + random.nextInt(3);
            for (int k = 0; k < count; k++) {
                mutations.add(mutate(image, layout, random));
            }
            String what = "iteration " + i + " (" + base.getFileName() + ": " + String.join(", ", mutations) + ")";

            Cli.Result check = run("image", "check", image.toString());
            assertThat(check.exit()).as("%s: check exit (stderr: %s)", what, check.err()).isIn(0, 3);
            Cli.Result map = run("image", "map", image.toString());
            assertThat(map.exit()).as("%s: map exit (stderr: %s)", what, map.err()).isIn(0, 3);
            for (Cli.Result r : List.of(check, map)) {
                if (r.exit() == 3) {
                    assertOneLineNaming(r.err(), image.getFileName().toString(), ".", what);
                }
            }
            if (i % 4 == 0) {
                Path out = work.resolve("fuzz-" + i + ".delta");
                Cli.Result diff = run("image", "diff", "--to", image.toString(), "--out", out.toString());
                assertThat(diff.exit()).as("%s: diff exit (stderr: %s)", what, diff.err()).isIn(0, 3);
                assertThat(Files.exists(out)).as("%s: a delta exactly when diff succeeded", what)
                        .isEqualTo(diff.exit() == 0);
                Files.deleteIfExists(out);
            }

            if (check.out().isBlank()) {
                refusedAtOpen++;
                // Refused before any check: QEMU must not find the same file clean either.
                if (Boolean.TRUE.equals(qemuSaysClean(image))) {
                    disagreements.add(what + ": ours " + check.err().strip() + "; qemu-img clean");
                }
            } else {
                boolean ours = JSON.readTree(check.out()).get("clean").asBoolean();
                if (ours) {
                    clean++;
                } else {
                    foundCorrupt++;
                }
                Boolean qemu = qemuSaysClean(image);
                if (qemu != null && qemu != ours) {
                    disagreements.add(what + ": ours " + (ours ? "clean" : check.err().strip()) + "; qemu-img "
                            + (qemu ? "clean" : "corrupt: " + qemuFirstError(image)));
                }
                if (ours && qemu != null && map.exit() == 0 && readWord(image, VSIZE) % 512 == 0) {
                    assertSameMap(image + " after " + what, image, map.out());
                }
            }
            Files.delete(image);
        }
        try (Stream<Path> left = Files.list(work)) {
            assertThat(left).as("nothing left behind").isEmpty();
        }
        assertThat(disagreements).as("image check and qemu-img check disagree").isEmpty();
        // The fuzzer must exercise all three outcomes, or it tests nothing.
        assertThat(refusedAtOpen).as("refused at open").isPositive();
        assertThat(foundCorrupt).as("found corrupt by check").isPositive();
        assertThat(clean).as("still clean").isPositive();
    }

    /**
     * qemu-img check's verdict on corruption, or null when QEMU cannot open the file at all or does
     * not finish in time: some damage sends qemu-img itself into a very long run (an L2 table full of
     * pattern bytes, in a v2 image, kept it busy for over 15 minutes), so QEMU gets a time limit too.
     */
    private static Boolean qemuSaysClean(Path image) throws IOException {
        Qemu.Run r = qemuWithin(Duration.ofSeconds(10), "check", "--output=json", image.toString());
        if (r == null || r.out().isBlank()) {
            return null;
        }
        JsonNode j = JSON.readTree(r.out());
        return j.path("corruptions").asLong(0) == 0 && j.path("check-errors").asLong(0) == 0;
    }

    /** What qemu-img check said first on stderr, for the record of a disagreement. */
    private static String qemuFirstError(Path image) throws IOException {
        Qemu.Run r = qemuWithin(Duration.ofSeconds(10), "check", image.toString());
        return r == null ? "(timed out)" : r.err().lines().findFirst().orElse("") + " / " + r.out().strip().lines().findFirst().orElse("");
    }

    /**
     * {@code qemu-img ARGS} within {@code limit}, or null (it is killed) when it takes longer or
     * exits 1 (could not open the image, or check could not complete).
     */
    private static Qemu.Run qemuWithin(Duration limit, String... args) throws IOException {
        List<String> command = new ArrayList<>(List.of("qemu-img"));
        command.addAll(List.of(args));
        Path out = Files.createTempFile("qemu-img", ".out");
        Path err = Files.createTempFile("qemu-img", ".err");
        try {
            Process p = new ProcessBuilder(command).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                    .redirectOutput(out.toFile()).redirectError(err.toFile()).start();
            if (!p.waitFor(limit.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS)) {
                p.destroyForcibly().waitFor();
                return null;
            }
            // check exits 2 or 3 for corruptions and leaks and still prints its report
            return p.exitValue() == 1 ? null : new Qemu.Run(p.exitValue(), Files.readString(out), Files.readString(err));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        } finally {
            Files.delete(out);
            Files.delete(err);
        }
    }

    private static final int[] HEADER_INTS = {VERSION, BACKING_SIZE, CLUSTER_BITS, CRYPT, L1_SIZE,
        REFTABLE_CLUSTERS, SNAPSHOTS, REFCOUNT_ORDER, HEADER_LENGTH};
    private static final int[] HEADER_LONGS = {BACKING_OFFSET, VSIZE, L1_OFFSET, REFTABLE_OFFSET, SNAPSHOTS_OFFSET,
        INCOMPAT, INCOMPAT + 8, INCOMPAT + 16};

    /** One random damage to {@code image}; returns what it did. */
    private static String mutate(Path image, Layout l, Random random) throws IOException {
        List<long[]> regions = l.metadataRegions();
        int kind = random.nextInt(10);
        long size = Files.size(image);
        if (kind == 0) {
            int field = HEADER_INTS[random.nextInt(HEADER_INTS.length)];
            int value = (int) interesting(random, l, size);
            patch(image, field, ByteBuffer.allocate(4).putInt(value).array());
            return "header int @" + field + " = " + Integer.toUnsignedString(value);
        }
        if (kind == 1) {
            int field = HEADER_LONGS[random.nextInt(HEADER_LONGS.length)];
            long value = interesting(random, l, size);
            patch(image, field, longBytes(value));
            return "header long @" + field + " = 0x" + Long.toHexString(value);
        }
        if (kind == 2) {
            // Header extensions and the backing name: somewhere in the first 1 KiB after the fixed fields.
            long pos = 72 + random.nextInt(1024 - 72);
            int bit = random.nextInt(8);
            flipBit(image, pos, bit);
            return "header bit " + bit + " @" + pos;
        }
        long[] region = regions.get(random.nextInt(regions.size()));
        long words = region[1] / 8;
        long pos = region[0] + 8 * (long) (random.nextDouble() * words);
        if (kind <= 5) {
            long value = interesting(random, l, size);
            if (random.nextBoolean()) {
                // keep the entry's flags, change where it points
                value = (readWord(image, pos) & ~OFFSET_MASK) | (value & OFFSET_MASK);
            }
            patch(image, pos, longBytes(value));
            return "word @0x" + Long.toHexString(pos) + " = 0x" + Long.toHexString(value);
        }
        int bit = random.nextInt(64);
        flipBit(image, pos + 7 - bit / 8, bit % 8);
        return "bit " + bit + " of word @0x" + Long.toHexString(pos);
    }

    /** Values that sit on the edges validation cares about. */
    private static long interesting(Random random, Layout l, long fileSize) {
        long cluster = l.clusterSize();
        long aligned = (long) (random.nextDouble() * (fileSize / cluster + 2)) * cluster;
        return switch (random.nextInt(14)) {
            case 0 -> 0;
            case 1 -> -1;
            case 2 -> 1;
            case 3 -> fileSize;
            case 4 -> fileSize - cluster;
            case 5 -> fileSize + cluster;
            case 6 -> aligned;
            case 7 -> aligned | COPIED;
            case 8 -> aligned + 512;
            case 9 -> COMPRESSED | random.nextLong() >>> 2;
            case 10 -> 1L << random.nextInt(64);
            case 11 -> random.nextInt(64);
            case 12 -> Long.MAX_VALUE - random.nextInt(4096);
            default -> random.nextLong();
        };
    }

    // =====================================================================================
    // Maps: ours and qemu-img's, compared per offset (DESIGN.md §4).
    // =====================================================================================

    private static void assertSameMap(String image, Path file, String ourJson) throws IOException {
        Qemu.Run qemu = qemuWithin(Duration.ofSeconds(10), "map", "--output=json", file.toString());
        if (qemu == null || qemu.exit() != 0) {
            return; // QEMU cannot read it; nothing to compare with
        }
        JsonNode ours = JSON.readTree(ourJson);
        JsonNode theirs = JSON.readTree(qemu.out());
        TreeSet<Long> cuts = new TreeSet<>();
        for (JsonNode list : List.of(ours, theirs)) {
            for (JsonNode e : list) {
                cuts.add(e.get("start").asLong());
                cuts.add(e.get("start").asLong() + e.get("length").asLong());
            }
        }
        for (long at : cuts) {
            JsonNode a = entryAt(ours, at);
            JsonNode b = entryAt(theirs, at);
            if (a == null && b == null) {
                continue;
            }
            assertThat(a).as("%s: our map covers %d", image, at).isNotNull();
            assertThat(b).as("%s: qemu's map covers %d", image, at).isNotNull();
            for (String field : List.of("present", "zero", "data", "depth")) {
                assertThat(a.get(field)).as("%s: %s at %d (ours %s, qemu %s)", image, field, at, a, b)
                        .isEqualTo(b.get(field));
            }
            if (a.get("data").asBoolean() && a.has("offset") && b.has("offset")) {
                assertThat(a.get("offset").asLong() + at - a.get("start").asLong())
                        .as("%s: host offset at %d (ours %s, qemu %s)", image, at, a, b)
                        .isEqualTo(b.get("offset").asLong() + at - b.get("start").asLong());
            }
        }
    }

    private static JsonNode entryAt(JsonNode map, long at) {
        for (JsonNode e : map) {
            long start = e.get("start").asLong();
            if (start <= at && at < start + e.get("length").asLong()) {
                return e;
            }
        }
        return null;
    }

    // =====================================================================================
    // Building damaged files.
    // =====================================================================================

    private Path caseDir(String name) throws IOException {
        return Files.createDirectories(work.resolve(name));
    }

    /** A copy of {@code base} in a directory of its own, named after the case. */
    private Path copy(Path base, String name) throws IOException {
        Path p = caseDir(name).resolve(name + ".qcow2");
        Files.copy(base, p, StandardCopyOption.REPLACE_EXISTING);
        return p;
    }

    private Damage header(String name, Path base, String reason, Consumer<ByteBuffer> change) throws IOException {
        Path p = copy(base, name);
        patchHeader(p, change);
        return new Damage(name, Scope.OPEN, p, p.getFileName().toString(), reason);
    }

    /** Overwrites 8-byte words at {@code at}, {@code at + 8}, …; scope by what the words belong to. */
    private Damage table(String name, Path base, String reason, long at, long... words) throws IOException {
        return words(name, Scope.READ, base, reason, at, words);
    }

    private Damage check(String name, Path base, String reason, long at, long... words) throws IOException {
        return words(name, Scope.CHECK, base, reason, at, words);
    }

    private Damage words(String name, Scope scope, Path base, String reason, long at, long... words) throws IOException {
        Path p = copy(base, name);
        for (int i = 0; i < words.length; i++) {
            patch(p, at + 8L * i, longBytes(words[i]));
        }
        return new Damage(name, scope, p, p.getFileName().toString(), reason);
    }

    /** An overlay whose header names {@code backing} (written over the name qemu-img put there). */
    private Damage backingName(String name, String backing, String reason) throws IOException {
        Path dir = caseDir(name);
        Path p = dir.resolve("top.qcow2");
        Qemu.img("create", "-q", "-f", "qcow2", "-u", "-b", "placeholder", "-F", "qcow2", p.toString(),
                Long.toString(SIZE));
        byte[] bytes = backing.getBytes(StandardCharsets.UTF_8);
        patchHeader(p, h -> {
            h.putInt(BACKING_SIZE, bytes.length);
            h.put((int) h.getLong(BACKING_OFFSET), bytes);
        });
        return new Damage(name, Scope.OPEN, p, "top.qcow2", reason);
    }

    private static Path emptyImage(Path p) {
        Qemu.img("create", "-q", "-f", "qcow2", p.toString(), Long.toString(SIZE));
        return p;
    }

    /** {@code layers} images, each backed by the one before (relative names); returns the top. */
    private static Path chain(Path dir, int layers) {
        Path top = emptyImage(dir.resolve("layer-0.qcow2"));
        Qemu.io(top, "write -P 0x01 0 64k");
        for (int i = 1; i < layers; i++) {
            top = dir.resolve("layer-" + i + ".qcow2");
            Qemu.img("create", "-q", "-f", "qcow2", "-u", "-b", "layer-" + (i - 1) + ".qcow2", "-F", "qcow2",
                    top.toString(), Long.toString(SIZE));
        }
        return top;
    }

    /** Edits the first cluster in place (the header lies in the first 64 KiB of every test image). */
    private static void patchHeader(Path p, Consumer<ByteBuffer> change) throws IOException {
        int n = (int) Math.min(Files.size(p), K64);
        ByteBuffer h = ByteBuffer.allocate(n);
        try (FileChannel ch = FileChannel.open(p, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            ch.read(h, 0);
            change.accept(h);
            h.clear();
            ch.write(h, 0);
        }
    }

    /** Where the data of the first header extension of {@code type} starts. */
    private static int extensionData(ByteBuffer h, int type) {
        int end = h.getInt(VERSION) == 2 ? 72 : h.getInt(HEADER_LENGTH);
        for (int pos = end; pos + 8 <= h.limit(); ) {
            int t = h.getInt(pos);
            int len = h.getInt(pos + 4);
            if (t == type) {
                return pos + 8;
            }
            if (t == 0) {
                break;
            }
            pos += 8 + ((len + 7) & ~7);
        }
        throw new AssertionError("no header extension 0x" + Integer.toHexString(type));
    }

    private static void patch(Path p, long at, byte[] bytes) throws IOException {
        try (FileChannel ch = FileChannel.open(p, StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.wrap(bytes), at);
        }
    }

    private static void flipBit(Path p, long at, int bit) throws IOException {
        try (FileChannel ch = FileChannel.open(p, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            ByteBuffer b = ByteBuffer.allocate(1);
            ch.read(b, at);
            b.put(0, (byte) (b.get(0) ^ (1 << bit)));
            b.clear();
            ch.write(b, at);
        }
    }

    private static long readWord(Path p, long at) throws IOException {
        try (FileChannel ch = FileChannel.open(p, StandardOpenOption.READ)) {
            ByteBuffer b = ByteBuffer.allocate(8);
            ch.read(b, at);
            return b.getLong(0);
        }
    }

    private static byte[] longBytes(long v) {
        return ByteBuffer.allocate(8).putLong(v).array();
    }

    /**
     * Where a valid qcow2 file keeps its metadata, read with the spec in hand and nothing of the
     * code under test, so that the damage lands where it is meant to.
     */
    record Layout(ByteBuffer file, int version, int clusterBits, boolean extL2, long l1Offset, int l1Size,
                  long reftableOffset, int reftableClusters, long snapshotsOffset) {

        static Layout of(Path p) {
            try {
                ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(p));
                int version = b.getInt(VERSION);
                long incompat = version == 3 ? b.getLong(INCOMPAT) : 0;
                return new Layout(b, version, b.getInt(CLUSTER_BITS), (incompat & 16) != 0, b.getLong(L1_OFFSET),
                        b.getInt(L1_SIZE), b.getLong(REFTABLE_OFFSET), b.getInt(REFTABLE_CLUSTERS),
                        b.getLong(SNAPSHOTS_OFFSET));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        int clusterSize() {
            return 1 << clusterBits;
        }

        long word(long at) {
            return file.getLong((int) at);
        }

        long l1(int i) {
            return word(l1Offset + 8L * i) & OFFSET_MASK;
        }

        List<Long> l2Tables() {
            List<Long> tables = new ArrayList<>();
            for (int i = 0; i < l1Size; i++) {
                if (l1(i) != 0) {
                    tables.add(l1(i));
                }
            }
            return tables;
        }

        /** File positions of the L2 entries (the first word of each, with extended L2). */
        List<Long> l2Entries() {
            List<Long> entries = new ArrayList<>();
            int stride = extL2 ? 16 : 8;
            for (long table : l2Tables()) {
                for (long at = table; at < table + clusterSize(); at += stride) {
                    entries.add(at);
                }
            }
            return entries;
        }

        /** The first L1 entry that maps no L2 table, or -1. */
        int firstFreeL1Entry() {
            for (int i = 0; i < l1Size; i++) {
                if (word(l1Offset + 8L * i) == 0) {
                    return i;
                }
            }
            return -1;
        }

        long firstDataEntry() {
            return l2Entries().stream().filter(at -> (word(at) & COMPRESSED) == 0 && (word(at) & OFFSET_MASK) != 0)
                    .findFirst().orElseThrow();
        }

        long firstCompressedEntry() {
            return l2Entries().stream().filter(at -> (word(at) & COMPRESSED) != 0).findFirst().orElseThrow();
        }

        long firstUnallocatedEntry() {
            return l2Entries().stream().filter(at -> word(at) == 0 && (!extL2 || word(at + 8) == 0))
                    .findFirst().orElseThrow();
        }

        /** The host clusters that opening the image and reading the guest's data need: tables and data. */
        TreeSet<Long> neededClusters() {
            TreeSet<Long> needed = new TreeSet<>(List.of(reftableOffset, l1Offset & -clusterSize()));
            needed.addAll(l2Tables());
            for (long at : l2Entries()) {
                long w = word(at);
                if ((w & COMPRESSED) != 0) {
                    needed.add(w & ((1L << (62 - (clusterBits - 8))) - 1) & -clusterSize());
                } else if ((w & OFFSET_MASK) != 0) {
                    needed.add(w & OFFSET_MASK);
                }
            }
            return needed;
        }

        /** The start of the last of them. */
        long lastGuestCluster() {
            return neededClusters().last();
        }

        /** The first snapshot's L1 table offset field (the first word of its table entry). */
        long snapshotTable() {
            return snapshotsOffset;
        }

        /** Where the bitmap directory lies. */
        long bitmapDirectory() {
            return file.getLong(extensionData(file, 0x23852875) + 16);
        }

        /** [offset, length] of each metadata table: L1, L2 tables, refcount table and blocks. */
        List<long[]> metadataRegions() {
            List<long[]> regions = new ArrayList<>();
            regions.add(new long[] {l1Offset, Math.max(8, 8L * l1Size)});
            for (long table : l2Tables()) {
                regions.add(new long[] {table, clusterSize()});
            }
            regions.add(new long[] {reftableOffset, (long) reftableClusters * clusterSize()});
            for (long i = 0; i < (long) reftableClusters * clusterSize() / 8; i++) {
                long block = word(reftableOffset + 8 * i) & ~511L;
                if (block != 0) {
                    regions.add(new long[] {block, clusterSize()});
                }
            }
            return regions;
        }
    }
}
