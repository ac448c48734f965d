package io.understudy.agent.libvirt;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.understudy.agent.delta.DeltaHeader;
import io.understudy.agent.delta.DeltaReader;
import io.understudy.agent.delta.DeltaStats;
import io.understudy.agent.delta.DeltaWriter;
import io.understudy.agent.nbd.Extent;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/** Captured clusters become a delta of only the new components; block-status extents become whole clusters. */
class LibvirtCaptureDeltaTest {

    private static final int CLUSTER = 4096;
    /** Ten clusters, the last one 100 bytes. */
    private static final long SIZE = 9L * CLUSTER + 100;

    private static byte[] filled(int value, int length) {
        byte[] b = new byte[length];
        Arrays.fill(b, (byte) value);
        return b;
    }

    private static byte[] sha(byte[] b) throws Exception {
        return MessageDigest.getInstance("SHA-256").digest(b);
    }

    /** What a delta holds, as "D<cluster>:<first byte>" and "Z<first>+<count>". */
    private static List<String> records(byte[] delta) throws IOException {
        List<String> out = new ArrayList<>();
        DeltaReader.open(new ByteArrayInputStream(delta)).readAll(new DeltaReader.Sink() {
            @Override
            public void data(long cluster, ByteBuffer payload, byte[] sha256) {
                out.add("D" + cluster + ":" + payload.get(payload.position()) + "/" + payload.remaining());
            }

            @Override
            public void zeros(long first, long count) {
                out.add("Z" + first + "+" + count);
            }
        });
        return out;
    }

    @Test
    void onlyChangedClustersShipAndZerosOnlyWhereThereWasData() throws Exception {
        NavigableMap<Long, byte[]> previous = new TreeMap<>();
        previous.put(1L, sha(filled(1, CLUSTER)));
        previous.put(2L, sha(filled(2, CLUSTER)));
        previous.put(3L, sha(filled(3, CLUSTER)));
        previous.put(7L, sha(filled(7, CLUSTER)));
        byte[] base = CaptureDelta.manifest(CLUSTER, SIZE, previous);
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        CaptureDelta delta = new CaptureDelta(new DeltaWriter(bytes, DeltaHeader.of(CLUSTER, SIZE, SIZE, false, base)),
                previous);

        delta.data(0, ByteBuffer.wrap(new byte[CLUSTER]));            // zeros where zeros were: nothing
        delta.data(1, ByteBuffer.wrap(filled(1, CLUSTER)));           // rewritten with the same bytes: nothing
        delta.data(2, ByteBuffer.wrap(filled(9, CLUSTER)));           // changed: data
        delta.data(3, ByteBuffer.wrap(new byte[CLUSTER]));            // zeroed: a zero record
        delta.zeros(4, 5);                                            // 4..8 read as zeros: only 7 had data
        delta.data(9, ByteBuffer.wrap(filled(5, 100)));               // the short last cluster
        CaptureDelta.Result result = delta.finish();

        assertThat(records(bytes.toByteArray())).containsExactly("D2:9/4096", "Z3+1", "Z7+1", "D9:5/100");
        DeltaStats stats = result.stats();
        assertThat(stats.clusters()).isEqualTo(10);
        assertThat(stats.newClusters()).isEqualTo(2);
        assertThat(stats.zeroClusters()).isEqualTo(2);
        assertThat(result.hashes().keySet()).containsExactly(1L, 2L, 9L);
        assertThat(result.hashes().get(2L)).isEqualTo(sha(filled(9, CLUSTER)));
        assertThat(result.manifest()).isEqualTo(CaptureDelta.manifest(CLUSTER, SIZE, result.hashes()));
        assertThat(previous).containsOnlyKeys(1L, 2L, 3L, 7L);
    }

    @Test
    void aSeedFromNothingShipsEveryNonZeroCluster() throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        CaptureDelta delta = new CaptureDelta(new DeltaWriter(bytes, DeltaHeader.of(CLUSTER, SIZE, SIZE, true, null)),
                Map.of());
        delta.zeros(0, 2);
        delta.data(2, ByteBuffer.wrap(filled(4, CLUSTER)));
        delta.data(3, ByteBuffer.wrap(new byte[CLUSTER]));
        delta.zeros(4, 6);
        CaptureDelta.Result result = delta.finish();
        assertThat(records(bytes.toByteArray())).containsExactly("D2:4/4096");
        assertThat(result.stats().clusters()).isEqualTo(10);
        assertThat(result.hashes()).containsOnlyKeys(2L);
    }

    @Test
    void clustersOutOfOrderAreRefused() throws Exception {
        CaptureDelta delta = new CaptureDelta(
                new DeltaWriter(new ByteArrayOutputStream(), DeltaHeader.of(CLUSTER, SIZE, SIZE, true, null)), Map.of());
        delta.data(5, ByteBuffer.wrap(filled(1, CLUSTER)));
        assertThatThrownBy(() -> delta.data(4, ByteBuffer.wrap(filled(2, CLUSTER))))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("out of order");
    }

    private static List<String> runs(ClusterRuns runs) {
        return runs.drain().stream().map(r -> r[0] + ".." + r[1]).toList();
    }

    @Test
    void dirtyExtentsWidenToWholeClustersAndMerge() {
        ClusterRuns runs = new ClusterRuns(65536, e -> e.has(Extent.DIRTY));
        runs.add(new Extent(0, 4096, Extent.DIRTY));            // cluster 0
        runs.add(new Extent(4096, 61440, 0));                   // clean
        runs.add(new Extent(65536, 100, Extent.DIRTY));         // cluster 1: touches 0's run
        runs.add(new Extent(65636, 200000, 0));
        runs.add(new Extent(265636, 10, Extent.DIRTY));         // cluster 4
        runs.add(new Extent(300000, 100000, Extent.DIRTY));     // clusters 4..6: overlaps 4
        assertThat(runs(runs)).containsExactly("0..2", "4..7");
        assertThat(runs.wantedBytes()).isEqualTo(4096 + 100 + 10 + 100000);
        runs.add(new Extent(1 << 30, 65536, Extent.DIRTY));
        assertThat(runs(runs)).containsExactly("16384..16385");
    }

    @Test
    void allocationKeepsWhatMayHoldData() {
        ClusterRuns runs = new ClusterRuns(65536, e -> !e.has(Extent.ZERO));
        runs.add(new Extent(0, 4096, 0));                                  // data
        runs.add(new Extent(4096, 61440, Extent.HOLE | Extent.ZERO));      // unallocated
        runs.add(new Extent(65536, 65536, Extent.ZERO));                   // allocated zeros
        runs.add(new Extent(131072, 65536, Extent.HOLE));                  // unallocated, not known zero
        assertThat(runs(runs)).containsExactly("0..1", "2..3");
    }

    @Test
    void extentsGoingBackwardsAreRefused() {
        ClusterRuns runs = new ClusterRuns(512, e -> true);
        runs.add(new Extent(4096, 512, 0));
        assertThatThrownBy(() -> runs.add(new Extent(0, 512, 0))).isInstanceOf(IllegalArgumentException.class);
    }
}
