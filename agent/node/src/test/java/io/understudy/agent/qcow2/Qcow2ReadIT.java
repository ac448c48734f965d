package io.understudy.agent.qcow2;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.understudy.agent.testing.Cli;
import io.understudy.agent.testing.Images;
import io.understudy.agent.testing.Images.Variant;
import io.understudy.agent.testing.Qemu;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Our reader against QEMU's on every variant qemu-img produces: the same allocation map at every
 * offset, the same guest bytes as {@code qemu-img convert -O raw}, and the same check verdict.
 */
class Qcow2ReadIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long MIB = 1 << 20;

    @TempDir
    Path dir;

    static List<Variant> variants() {
        return Images.variants();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("variants")
    void standaloneImageReadsAsQemuReadsIt(Variant v) throws IOException {
        Path image = Images.create(dir.resolve("a.qcow2"), v, "40M");
        Images.writeEverything(image, v.clusterSize(), 40 * MIB, 1);
        assertReadsLikeQemu(image);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("variants")
    void overlayOnQcow2BaseReadsAsQemuReadsIt(Variant v) throws IOException {
        Path base = Images.create(dir.resolve("base.qcow2"), v, "40M");
        Images.writeEverything(base, v.clusterSize(), 40 * MIB, 1);
        Path top = Images.overlay(dir.resolve("top.qcow2"), v, base.getFileName(), "qcow2");
        long c = Math.max(v.clusterSize(), 65536);
        Qemu.io(top, "write -P 0x71 " + (c / 2) + " " + c, "write -z " + (8 * c) + " " + c,
                "write -P 0x72 " + (16 * c) + " 4k", "write -z -u " + (12 * c) + " " + v.clusterSize());
        assertReadsLikeQemu(top);
    }

    @Test
    void bitmapNamesAreTheOnesQemuImgAdded() throws IOException {
        Path image = dir.resolve("bitmaps.qcow2");
        Qemu.img("create", "-q", "-f", "qcow2", "-o", "compat=1.1", image.toString(), "16M");
        try (Qcow2Image none = Qcow2Image.open(image)) {
            assertThat(none.bitmapNames()).isEmpty();
        }
        // Names of several lengths: each directory entry is padded to 8 bytes.
        List<String> names = List.of("understudy-1302f140-5", "b", "understudy-1302f140-12", "backup-0123456");
        for (String name : names) {
            Qemu.img("bitmap", "--add", image.toString(), name);
        }
        try (Qcow2Image read = Qcow2Image.open(image)) {
            assertThat(read.bitmapNames()).containsExactlyInAnyOrderElementsOf(names);
        }
    }

    @Test
    void overlayOnSparseRawBaseAsNovaKeepsThem() throws IOException {
        Path base = dir.resolve("base.raw");
        Qemu.img("create", "-q", "-f", "raw", base.toString(), "16M");
        Qemu.ioAs("raw", base, "write -P 0x31 64k 4k", "write -P 0x32 3M 1M", "write -P 0 8M 64k");
        Path top = dir.resolve("top.qcow2");
        Qemu.img("create", "-q", "-f", "qcow2", "-b", base.toString(), "-F", "raw", top.toString());
        Qemu.io(top, "write -P 0x33 3M 64k", "write -z 3200k 64k");
        assertReadsLikeQemu(base);
        assertReadsLikeQemu(top);
    }

    @Test
    void bytesPastTheEndOfAShorterBackingFileReadAsZeros() throws IOException {
        Path base = dir.resolve("base.qcow2");
        Qemu.img("create", "-q", "-f", "qcow2", base.toString(), "4M");
        Qemu.io(base, "write -P 0x41 0 4M");
        Path top = dir.resolve("top.qcow2");
        Qemu.img("create", "-q", "-f", "qcow2", "-b", base.toString(), "-F", "qcow2", top.toString(), "12M");
        Qemu.io(top, "write -P 0x42 5M 64k");
        assertReadsLikeQemu(top);
    }

    @Test
    void threeDeepChainWithMixedClusterSizesAndNameForms() throws IOException {
        Path base = dir.resolve("base.qcow2");
        Qemu.img("create", "-q", "-f", "qcow2", "-o", "cluster_size=512", base.toString(), "8M");
        Qemu.io(base, "write -P 0x51 0 8M");
        Files.createDirectory(dir.resolve("sub"));
        Path mid = dir.resolve("sub/mid.qcow2");
        // Relative to the overlay's own directory, as QEMU resolves it.
        Qemu.img("create", "-q", "-f", "qcow2", "-o", "cluster_size=2M", "-b", "../base.qcow2", "-F", "qcow2",
                mid.toString());
        Qemu.io(mid, "write -P 0x52 1M 3k", "write -z 4M 2M");
        Path top = dir.resolve("top.qcow2");
        Qemu.img("create", "-q", "-f", "qcow2", "-o", "cluster_size=16k,extended_l2=on", "-b",
                mid.toAbsolutePath().toString(), "-F", "qcow2", top.toString());
        Qemu.io(top, "write -P 0x53 1027k 1k", "write -z 5M 8k");
        assertReadsLikeQemu(top);
        try (BackingChain chain = BackingChain.open(top)) {
            assertThat(chain.layers()).hasSize(3);
        }
    }

    @Test
    void imagesPast2TiBVirtual() throws IOException {
        Path image = dir.resolve("big.qcow2");
        Qemu.img("create", "-q", "-f", "qcow2", image.toString(), "3T");
        long nearEnd = 3L * (1L << 40) - (1 << 20);
        Qemu.io(image, "write -P 0x61 " + nearEnd + " 64k", "write -P 0x62 " + (2L << 40) + " 4k");
        assertSameMap(image);
        assertCheckAgrees(image);
        try (BackingChain chain = BackingChain.open(image)) {
            assertThat(readAt(chain, nearEnd, 65536)).containsOnly((byte) 0x61);
            assertThat(readAt(chain, 2L << 40, 4096)).containsOnly((byte) 0x62);
            assertThat(readAt(chain, (2L << 40) + 4096, 4096)).containsOnly((byte) 0);
        }
    }

    static byte[] readAt(BackingChain chain, long offset, int length) throws IOException {
        byte[] b = new byte[length];
        chain.read(offset, ByteBuffer.wrap(b));
        return b;
    }

    private void assertReadsLikeQemu(Path image) throws IOException {
        assertSameMap(image);
        assertSameContent(image);
        if (!image.toString().endsWith(".raw")) {
            assertCheckAgrees(image);
        }
    }

    private static void assertSameMap(Path image) throws IOException {
        Cli.Result ours = Cli.run("image", "map", image.toString());
        assertThat(ours.exit()).as(ours.err()).isZero();
        Images.assertSameMap(ours.out(), Qemu.img("map", "--output=json", image.toString()), image.toString());
    }

    private void assertSameContent(Path image) throws IOException {
        Path raw = dir.resolve(image.getFileName() + ".flat");
        Qemu.img("convert", "-O", "raw", image.toString(), raw.toString());
        try (BackingChain chain = BackingChain.open(image); InputStream expected = Files.newInputStream(raw)) {
            byte[] want = new byte[(int) MIB];
            byte[] got = new byte[(int) MIB];
            for (long pos = 0; pos < chain.virtualSize(); pos += MIB) {
                int n = (int) Math.min(MIB, chain.virtualSize() - pos);
                assertThat(expected.readNBytes(want, 0, n)).isEqualTo(n);
                chain.read(pos, ByteBuffer.wrap(got, 0, n));
                if (!Arrays.equals(want, 0, n, got, 0, n)) {
                    int at = Arrays.mismatch(want, 0, n, got, 0, n);
                    throw new AssertionError(image + ": guest byte " + (pos + at) + " reads " + got[at] + ", QEMU reads "
                            + want[at]);
                }
            }
        }
    }

    private static void assertCheckAgrees(Path image) throws IOException {
        Cli.Result ours = Cli.run("image", "check", image.toString());
        assertThat(ours.exit()).as(ours.err()).isZero();
        JsonNode mine = JSON.readTree(ours.out());
        JsonNode qemu = Qemu.check(image);
        assertThat(mine.get("corruptions").asLong()).as("corruptions").isEqualTo(qemu.path("corruptions").asLong(0));
        assertThat(mine.get("leaks").asLong()).as("leaks").isEqualTo(qemu.path("leaks").asLong(0));
    }
}
