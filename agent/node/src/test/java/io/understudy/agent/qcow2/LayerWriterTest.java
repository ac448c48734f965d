package io.understudy.agent.qcow2;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The layer writer read back by our own reader and check (qemu judges it in the ITs). */
class LayerWriterTest {

    @TempDir
    Path dir;

    private Path write(long size, int clusterBits, String backing, LayerBody body) throws IOException {
        Path file = dir.resolve("layer-" + clusterBits + ".qcow2");
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            LayerWriter w = new LayerWriter(ch, size, clusterBits, backing, backing == null ? null : "raw");
            body.fill(w);
            w.finish();
        }
        return file;
    }

    interface LayerBody {
        void fill(LayerWriter w) throws IOException;
    }

    private static ByteBuffer filled(int value, int length) {
        byte[] b = new byte[length];
        Arrays.fill(b, (byte) value);
        return ByteBuffer.wrap(b);
    }

    @Test
    void dataZerosAndHolesReadBackAsWritten() throws IOException {
        Path base = Files.write(dir.resolve("base.raw"), filled(0x5a, 1 << 20).array());
        // 512-byte clusters: 64 entries per L2 table, so this crosses several tables.
        Path layer = write(1 << 20, 9, "base.raw", w -> {
            w.writeData(3, filled(0x11, 512));
            w.writeZeros(4, 200);
            w.writeData(300, filled(0x22, 512));
            w.writeData(2047, filled(0x33, 512));
        });
        try (BackingChain chain = BackingChain.open(layer)) {
            assertThat(chain.layers()).hasSize(2);
            assertThat(chain.top().backingFile()).contains("base.raw");
            assertThat(chain.top().backingFormat()).contains("raw");
            assertThat(read(chain, 3 * 512, 512)).containsOnly((byte) 0x11);
            assertThat(read(chain, 4 * 512, 200 * 512)).containsOnly((byte) 0);
            assertThat(read(chain, 204 * 512, 96 * 512)).containsOnly((byte) 0x5a);
            assertThat(read(chain, 300 * 512, 512)).containsOnly((byte) 0x22);
            assertThat(read(chain, 2047 * 512, 512)).containsOnly((byte) 0x33);
            Qcow2Check.Result check = Qcow2Check.check((Qcow2Image) chain.top());
            assertThat(check.clean()).as(check.problems().toString()).isTrue();
            assertThat(check.leaks()).isZero();
        }
    }

    @Test
    void aPartialLastClusterIsPaddedAndTheImageKeepsItsSize() throws IOException {
        Path layer = write(65536 + 1000, 16, null, w -> w.writeData(1, filled(0x44, 1000)));
        try (BackingChain chain = BackingChain.open(layer)) {
            assertThat(chain.virtualSize()).isEqualTo(65536 + 1000);
            assertThat(read(chain, 65536, 1000)).containsOnly((byte) 0x44);
            assertThat(Qcow2Check.check((Qcow2Image) chain.top()).clean()).isTrue();
        }
    }

    @Test
    void anEmptyLayerIsAValidImage() throws IOException {
        Path layer = write(10 << 20, 16, null, w -> { });
        try (BackingChain chain = BackingChain.open(layer)) {
            assertThat(chain.resolve(0, 10 << 20).present()).isFalse();
            Qcow2Check.Result check = Qcow2Check.check((Qcow2Image) chain.top());
            assertThat(check.clean()).isTrue();
            assertThat(check.leaks()).isZero();
        }
    }

    @Test
    void clustersMustComeInOrderAndInsideTheDisk() throws IOException {
        Path file = dir.resolve("bad.qcow2");
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            LayerWriter w = new LayerWriter(ch, 1 << 20, 16, null, null);
            w.writeData(5, filled(1, 65536));
            assertThatThrownBy(() -> w.writeData(5, filled(1, 65536))).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> w.writeZeros(6, 11)).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> w.writeData(16, filled(1, 65536))).isInstanceOf(IllegalArgumentException.class);
            w.skip(6, 4);
            assertThatThrownBy(() -> w.skip(9, 1)).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> w.writeData(9, filled(1, 65536))).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> w.skip(10, 7)).isInstanceOf(IllegalArgumentException.class);
            w.writeData(10, filled(1, 65536));
        }
    }

    @Test
    void theLargestDiskALayerCanAddressIsWhatItsL1TableAllows() {
        assertThat(Header.maxVirtualSize(512)).isEqualTo(128L << 30);
        assertThat(Header.maxVirtualSize(65536)).isEqualTo(2L << 50);
        assertThat(Header.maxVirtualSize(1 << 21)).isEqualTo(1L << 56);
        new LayerWriter(null, Header.maxVirtualSize(512), 9, null, null);
        assertThatThrownBy(() -> new LayerWriter(null, Header.maxVirtualSize(512) + 1, 9, null, null))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("32 MiB");
    }

    @Test
    void refusesSizesQemuCouldNotOpen() {
        assertThatThrownBy(() -> new LayerWriter(null, 1L << 40, 9, null, null))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("32 MiB");
        assertThatThrownBy(() -> new LayerWriter(null, 1 << 20, 9, "x".repeat(500), "qcow2"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("does not fit");
    }

    private static byte[] read(BackingChain chain, long offset, int length) throws IOException {
        byte[] b = new byte[length];
        chain.read(offset, ByteBuffer.wrap(b));
        return b;
    }
}
