package io.understudy.agent.nbd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import io.understudy.agent.testing.Images;
import io.understudy.agent.testing.Qemu;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The client against qemu-nbd, the server libvirt's pull-mode backups run inside QEMU: guest
 * bytes as {@code qemu-img convert} sees them, allocation as {@code qemu-img map} sees it, a
 * persistent dirty bitmap's written ranges, and which layer of a chain holds what.
 */
class NbdClientIT {

    private static final long MIB = 1 << 20;
    private static final long GIB = 1L << 30;
    private static final Images.Variant V3 = new Images.Variant("v3-64k", "compat=1.1,cluster_size=64k", 65536);

    @TempDir
    Path dir;

    /** A guest disk with every kind of cluster, and 40 MiB of data in one run: more than one request can carry. */
    private Path everything(String name, long size) {
        Path image = Images.create(dir.resolve(name), V3, Long.toString(size));
        Images.writeEverything(image, V3.clusterSize(), size, 3);
        Qemu.io(image, "write -P 0x5a 20M 40M");
        return image;
    }

    private byte[] raw(Path image) throws IOException {
        Path raw = dir.resolve(image.getFileName() + ".raw");
        Qemu.img("convert", "-f", "qcow2", "-O", "raw", image.toString(), raw.toString());
        return Files.readAllBytes(raw);
    }

    @Test
    void readsTheGuestAsQemuImgConvertDoesSplittingWhatExceedsTheServersMaximum() throws IOException {
        long size = 80 * MIB;
        Path image = everything("a.qcow2", size);
        byte[] expected = raw(image);
        try (QemuNbd nbd = QemuNbd.tcp(image, "vda", dir); NbdClient client = nbd.connect()) {
            assertThat(client.size()).isEqualTo(size);
            assertThat(client.blockSize().maximum()).as("qemu-nbd's maximum request").isEqualTo(32 * MIB);
            ByteBuffer all = ByteBuffer.allocateDirect((int) size);
            client.read(0, all);
            assertThat(all.flip().mismatch(ByteBuffer.wrap(expected))).as("first differing byte").isEqualTo(-1);

            // Windows that start and end inside clusters, one across the 40 MiB run.
            for (long[] w : new long[][] {{512, 3 * 65536 + 1024}, {19 * MIB + 4096, 34 * MIB}, {size - 700, 700}}) {
                ByteBuffer part = ByteBuffer.allocate((int) w[1]);
                client.read(w[0], part);
                assertThat(part.flip().mismatch(ByteBuffer.wrap(expected, (int) w[0], (int) w[1])))
                        .as("window at " + w[0]).isEqualTo(-1);
            }
        }
    }

    @Test
    void baseAllocationAgreesWithQemuImgMapOnAnImageAndAnOverlay() throws IOException {
        Path base = everything("base.qcow2", 64 * MIB);
        Path top = Images.overlay(dir.resolve("top.qcow2"), V3, base.getFileName(), "qcow2");
        Qemu.io(top, "write -P 0x71 32k 64k", "write -z 8M 64k", "write -P 0x72 30M 4k", "write -z -u 40M 1M");
        for (Path image : List.of(base, top)) {
            List<Extent> expected = fromMap(Qemu.map(image),
                    n -> (n.get("data").asBoolean() ? 0 : Extent.HOLE) | (n.get("zero").asBoolean() ? Extent.ZERO : 0));
            try (QemuNbd nbd = QemuNbd.tcp(image, "vda", dir); NbdClient client = nbd.connect(NbdClient.BASE_ALLOCATION)) {
                assertThat(client.contexts()).containsExactly(NbdClient.BASE_ALLOCATION);
                assertThat(client.blockStatus(NbdClient.BASE_ALLOCATION, 0, client.size()))
                        .as("base:allocation of " + image.getFileName()).isEqualTo(expected);
            }
        }
    }

    @Test
    void aDirtyBitmapListsExactlyTheWrittenRangesAtItsGranularity() throws IOException {
        Path image = Images.create(dir.resolve("a.qcow2"), V3, "64M");
        Qemu.io(image, "write -P 0x11 0 8M");
        Qemu.img("bitmap", "--add", "-g", "64k", image.toString(), "bm0");
        Qemu.io(image, "write -P 0x21 1049088 4k", "write -P 0x22 5M 200k", "write -P 0x23 4194000 1000",
                "write -z 40M 64k", "write -P 0x24 63M 1M");
        List<Extent> dirty = List.of(
                new Extent(MIB, 65536, Extent.DIRTY),
                new Extent(4 * MIB - 65536, 2 * 65536, Extent.DIRTY),
                new Extent(5 * MIB, 4 * 65536, Extent.DIRTY),
                new Extent(40 * MIB, 65536, Extent.DIRTY),
                new Extent(63 * MIB, MIB, Extent.DIRTY));
        byte[] expected = raw(image);
        String context = NbdClient.dirtyBitmap("bm0");
        try (QemuNbd nbd = QemuNbd.tcp(image, "vda", dir, "-B", "bm0");
                NbdClient client = nbd.connect(NbdClient.BASE_ALLOCATION, context)) {
            assertThat(client.contexts()).containsExactlyInAnyOrder(NbdClient.BASE_ALLOCATION, context);
            List<Extent> status = client.blockStatus(context, 0, client.size());
            assertCovers(status, 0, client.size());
            assertThat(status.stream().filter(e -> e.has(Extent.DIRTY)).toList()).isEqualTo(dirty);

            // What a capture round does: read just the dirty extents, and they hold the guest's bytes.
            for (Extent e : dirty) {
                ByteBuffer b = ByteBuffer.allocate((int) e.length());
                client.read(e.offset(), b);
                assertThat(b.flip().mismatch(ByteBuffer.wrap(expected, (int) e.offset(), (int) e.length())))
                        .as("dirty extent at " + e.offset()).isEqualTo(-1);
            }
        }
    }

    @Test
    void statusInTwoContextsDoesNotWaitForDelayedAcks() throws IOException {
        Path image = Images.create(dir.resolve("a.qcow2"), V3, "64M");
        Qemu.img("bitmap", "--add", image.toString(), "bm0");
        Qemu.io(image, "write -P 0x21 1M 64k");
        try (QemuNbd nbd = QemuNbd.tcp(image, "vda", dir, "-B", "bm0");
                NbdClient client = nbd.connect(NbdClient.BASE_ALLOCATION, NbdClient.dirtyBitmap("bm0"))) {
            // qemu-nbd writes the two contexts' chunks separately with Nagle on: a client that
            // delays its ACKs waits 40 ms per request, 800 ms for these 20. Ours should not.
            long start = System.nanoTime();
            for (int i = 0; i < 20; i++) {
                assertThat(client.blockStatus(NbdClient.dirtyBitmap("bm0"), 0, client.size())).hasSize(3);
            }
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofMillis(500));
        }
    }

    @Test
    void allocationDepthTellsTheTopLayerFromItsBackingFile() throws IOException {
        Path base = Images.create(dir.resolve("base.qcow2"), V3, "16M");
        Qemu.io(base, "write -P 0x31 0 1M", "write -P 0x32 4M 1M");
        Path top = Images.overlay(dir.resolve("top.qcow2"), V3, base.getFileName(), "qcow2");
        Qemu.io(top, "write -P 0x41 512k 1M", "write -P 0x42 8M 64k");
        List<Extent> depths = List.of(
                new Extent(0, 512 * 1024, 2),
                new Extent(512 * 1024, MIB, 1),
                new Extent(1536 * 1024, 4 * MIB - 1536 * 1024, 0),
                new Extent(4 * MIB, MIB, 2),
                new Extent(5 * MIB, 3 * MIB, 0),
                new Extent(8 * MIB, 65536, 1),
                new Extent(8 * MIB + 65536, 8 * MIB - 65536, 0));
        assertThat(fromMap(Qemu.map(top), n -> n.get("present").asBoolean() ? n.get("depth").asInt() + 1 : 0))
                .as("qemu-img map, in allocation-depth terms").isEqualTo(depths);
        try (QemuNbd nbd = QemuNbd.tcp(top, "vda", dir, "-A");
                NbdClient client = nbd.connect(NbdClient.ALLOCATION_DEPTH)) {
            assertThat(client.blockStatus(NbdClient.ALLOCATION_DEPTH, 0, client.size())).isEqualTo(depths);
        }
    }

    @Test
    void blockStatusOverMoreThanOneRequestCanAskCoversTheWholeExport() throws IOException {
        Path image = Images.create(dir.resolve("big.qcow2"), V3, "6G");
        Qemu.io(image, "write -P 0x51 5G 64k");
        try (QemuNbd nbd = QemuNbd.tcp(image, "vda", dir); NbdClient client = nbd.connect(NbdClient.BASE_ALLOCATION)) {
            assertThat(client.blockStatus(NbdClient.BASE_ALLOCATION, 0, client.size())).containsExactly(
                    new Extent(0, 5 * GIB, Extent.HOLE | Extent.ZERO),
                    new Extent(5 * GIB, 65536, 0),
                    new Extent(5 * GIB + 65536, GIB - 65536, Extent.HOLE | Extent.ZERO));
        }
    }

    @Test
    void aUnixSocketExportServesReadsAndStatus() throws IOException {
        Path image = Images.create(dir.resolve("a.qcow2"), V3, "8M");
        Qemu.io(image, "write -P 0x61 1M 128k");
        try (QemuNbd nbd = QemuNbd.unix(image, "vda", dir.resolve("nbd.sock"), dir);
                NbdClient client = nbd.connect(NbdClient.BASE_ALLOCATION)) {
            assertThat(client.toString()).startsWith("nbd+unix:///vda?socket=");
            ByteBuffer b = ByteBuffer.allocate(4096);
            client.read(MIB + 65536, b);
            assertThat(b.array()).containsOnly(0x61);
            assertThat(client.blockStatus(NbdClient.BASE_ALLOCATION, MIB, 128 * 1024))
                    .containsExactly(new Extent(MIB, 128 * 1024, 0));
        }
    }

    @Test
    void anExportTheServerDoesNotHaveIsRefusedByName() throws IOException {
        Path image = Images.create(dir.resolve("a.qcow2"), V3, "8M");
        try (QemuNbd nbd = QemuNbd.tcp(image, "vda", dir)) {
            assertThatThrownBy(() -> NbdClient.connect((InetSocketAddress) nbd.address(), "vdb", List.of(),
                    Duration.ofSeconds(10)))
                    .isInstanceOf(NbdException.class)
                    .hasMessageContaining("/vdb: the server refused NBD_OPT_GO: NBD_REP_ERR_UNKNOWN");
            // The refusal was polite: the server still serves.
            try (NbdClient client = nbd.connect(NbdClient.dirtyBitmap("nope"), NbdClient.BASE_ALLOCATION)) {
                assertThat(client.contexts()).containsExactly(NbdClient.BASE_ALLOCATION);
            }
        }
    }

    /** qemu-img map's extents as ours: one per run of equal {@code flags}, merged as the client merges. */
    private static List<Extent> fromMap(JsonNode map, Function<JsonNode, Integer> flags) {
        List<Extent> runs = new ArrayList<>();
        for (JsonNode n : map) {
            Extent e = new Extent(n.get("start").asLong(), n.get("length").asLong(), flags.apply(n));
            Extent last = runs.isEmpty() ? null : runs.get(runs.size() - 1);
            if (last != null && last.end() == e.offset() && last.flags() == e.flags()) {
                runs.set(runs.size() - 1, new Extent(last.offset(), last.length() + e.length(), e.flags()));
            } else {
                runs.add(e);
            }
        }
        return runs;
    }

    private static void assertCovers(List<Extent> extents, long offset, long length) {
        long at = offset;
        for (Extent e : extents) {
            assertThat(e.offset()).as("extents are contiguous").isEqualTo(at);
            at = e.end();
        }
        assertThat(at).as("extents end where the range ends").isEqualTo(offset + length);
    }
}
