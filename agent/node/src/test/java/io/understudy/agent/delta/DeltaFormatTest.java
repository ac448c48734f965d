package io.understudy.agent.delta;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** The delta stream: what goes in comes out, and any damage at all is refused. */
class DeltaFormatTest {

    private static final int CLUSTER = 512;
    /** Ten clusters, the last one partial: a disk of 4.5 KiB + 100 bytes. */
    private static final long SIZE = 9 * CLUSTER + 100;

    /** The records a reader handed over, in order. */
    private static final class Recorder implements DeltaReader.Sink {
        final List<String> records = new ArrayList<>();

        @Override
        public void data(long cluster, ByteBuffer payload, byte[] sha256) {
            byte[] b = new byte[payload.remaining()];
            payload.get(b);
            records.add("D" + cluster + ":" + Arrays.hashCode(b) + ":" + b.length);
        }

        @Override
        public void zeros(long first, long count) {
            records.add("Z" + first + "+" + count);
        }
    }

    private static byte[] cluster(int fill, int length) {
        byte[] b = new byte[length];
        Arrays.fill(b, (byte) fill);
        return b;
    }

    private static byte[] sampleDelta() throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        DeltaHeader header = new DeltaHeader(CLUSTER, SIZE, SIZE, false, Optional.of(new byte[32]),
                Optional.of(UUID.fromString("6f1c2a52-8a8e-4b8f-9d3f-0d0a7c1e2b3c")), 4, 5, 1_764_400_000_000L);
        DeltaWriter w = new DeltaWriter(out, header);
        w.data(1, ByteBuffer.wrap(cluster(0x11, CLUSTER)));
        w.zero(2);
        w.zero(3);
        w.zero(5);
        w.data(6, ByteBuffer.wrap(cluster(0x22, CLUSTER)));
        w.data(9, ByteBuffer.wrap(cluster(0x33, 100)));
        DeltaStats stats = w.finish(8);
        assertThat(stats.newClusters()).isEqualTo(3);
        assertThat(stats.zeroClusters()).isEqualTo(3);
        assertThat(stats.payloadBytes()).isEqualTo(2 * CLUSTER + 100);
        assertThat(stats.deltaBytes()).isEqualTo(out.size());
        return out.toByteArray();
    }

    private static DeltaStats read(byte[] delta, Recorder sink) throws IOException {
        return DeltaReader.open(new ByteArrayInputStream(delta)).readAll(sink);
    }

    @Test
    void recordsComeBackAsWrittenWithTouchingZeroRunsFolded() throws IOException {
        byte[] delta = sampleDelta();
        DeltaReader reader = DeltaReader.open(new ByteArrayInputStream(delta));
        assertThat(reader.header().vm()).contains(UUID.fromString("6f1c2a52-8a8e-4b8f-9d3f-0d0a7c1e2b3c"));
        assertThat(reader.header().fromVersion()).isEqualTo(4);
        assertThat(reader.header().toVersion()).isEqualTo(5);
        assertThat(reader.header().capturedAtMillis()).isEqualTo(1_764_400_000_000L);
        Recorder sink = new Recorder();
        DeltaStats stats = reader.readAll(sink);
        assertThat(sink.records).containsExactly(
                "D1:" + Arrays.hashCode(cluster(0x11, CLUSTER)) + ":512", "Z2+2", "Z5+1",
                "D6:" + Arrays.hashCode(cluster(0x22, CLUSTER)) + ":512",
                "D9:" + Arrays.hashCode(cluster(0x33, 100)) + ":100");
        assertThat(stats.clusters()).isEqualTo(8);
        assertThat(stats.deltaBytes()).isEqualTo(delta.length);
    }

    @Test
    void overheadPerClusterIsFixedAndSmall() throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int cluster = 65536;
        DeltaWriter w = new DeltaWriter(out, DeltaHeader.of(cluster, 100L * cluster, 100L * cluster, false, null));
        for (int c = 0; c < 100; c++) {
            w.data(c, ByteBuffer.wrap(cluster(c + 1, cluster)));
        }
        DeltaStats stats = w.finish(100);
        // 45 bytes of record header per 64 KiB cluster, plus a fixed header and trailer.
        assertThat(stats.deltaBytes()).isLessThanOrEqualTo(stats.payloadBytes() * 1001 / 1000 + 200);
    }

    @Test
    void everySingleFlippedBitIsRefused() throws IOException {
        byte[] delta = sampleDelta();
        for (int i = 0; i < delta.length; i++) {
            for (int bit = 0; bit < 8; bit += 3) {
                byte[] damaged = delta.clone();
                damaged[i] ^= (byte) (1 << bit);
                int at = i;
                assertThatThrownBy(() -> read(damaged, new Recorder()))
                        .as("bit %d of byte %d", bit, at)
                        .isInstanceOf(BadDeltaException.class);
            }
        }
    }

    @Test
    void everyTruncationIsRefused() throws IOException {
        byte[] delta = sampleDelta();
        for (int n = 0; n < delta.length; n++) {
            byte[] cut = Arrays.copyOf(delta, n);
            assertThatThrownBy(() -> read(cut, new Recorder())).as("cut at %d", n)
                    .isInstanceOf(BadDeltaException.class);
        }
    }

    @Test
    void bytesAfterTheEndAreRefused() throws IOException {
        byte[] delta = sampleDelta();
        byte[] longer = Arrays.copyOf(delta, delta.length + 1);
        assertThatThrownBy(() -> read(longer, new Recorder())).isInstanceOf(BadDeltaException.class)
                .hasMessageContaining("after its end");
    }

    @Test
    void aReplayedRecordIsRefusedBeforeTheSinkSeesIt() throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        DeltaWriter w = new DeltaWriter(out, DeltaHeader.of(CLUSTER, SIZE, SIZE, false, null));
        w.data(1, ByteBuffer.wrap(cluster(0x11, CLUSTER)));
        w.finish(1);
        byte[] delta = out.toByteArray();
        int header = DeltaFormat.HEADER_BYTES;
        int record = 1 + 8 + 4 + 32 + CLUSTER;
        byte[] replayed = new byte[delta.length + record];
        System.arraycopy(delta, 0, replayed, 0, header + record);
        System.arraycopy(delta, header, replayed, header + record, record);
        System.arraycopy(delta, header + record, replayed, header + 2 * record, delta.length - header - record);
        Recorder sink = new Recorder();
        assertThatThrownBy(() -> read(replayed, sink)).isInstanceOf(BadDeltaException.class)
                .hasMessageContaining("out of order");
        assertThat(sink.records).hasSize(1);
    }

    @Test
    void aForeignStreamOrAnotherVersionIsRefusedByName() {
        assertThatThrownBy(() -> DeltaReader.open(new ByteArrayInputStream("QFI\u00fb and more bytes than a header needs to be read"
                .repeat(4).getBytes()))).isInstanceOf(BadDeltaException.class).hasMessageContaining("bad magic");
    }

    @Test
    void writerRefusesOutOfOrderAndMisSizedClusters() throws IOException {
        DeltaWriter w = new DeltaWriter(new ByteArrayOutputStream(), DeltaHeader.of(CLUSTER, SIZE, SIZE, false, null));
        w.data(3, ByteBuffer.wrap(cluster(1, CLUSTER)));
        assertThatThrownBy(() -> w.zero(3)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> w.data(9, ByteBuffer.wrap(cluster(1, CLUSTER))))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("expected 100");
        assertThatThrownBy(() -> w.data(10, ByteBuffer.wrap(cluster(1, 100))))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("past the disk");
    }

    @Test
    void headerRefusesImpossibleUnitsAndSizes() {
        assertThatThrownBy(() -> DeltaHeader.of(1000, SIZE, SIZE, false, null)).isInstanceOf(BadDeltaException.class);
        assertThatThrownBy(() -> DeltaHeader.of(256, SIZE, SIZE, false, null)).isInstanceOf(BadDeltaException.class);
        assertThatThrownBy(() -> DeltaHeader.of(4 << 20, SIZE, SIZE, false, null)).isInstanceOf(BadDeltaException.class);
        assertThatThrownBy(() -> DeltaHeader.of(CLUSTER, 1L << 60, SIZE, false, null)).isInstanceOf(BadDeltaException.class);
        assertThatThrownBy(() -> DeltaHeader.of(CLUSTER, SIZE, SIZE + 1, true, null)).isInstanceOf(BadDeltaException.class)
                .hasMessageContaining("seed");
    }
}
