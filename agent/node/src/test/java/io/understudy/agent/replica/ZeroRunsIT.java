package io.understudy.agent.replica;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import io.understudy.agent.api.AgentException;
import io.understudy.agent.delta.DeltaHeader;
import io.understudy.agent.delta.DeltaWriter;
import io.understudy.agent.delta.Manifest;
import io.understudy.agent.resources.ReplicaResource;
import io.understudy.agent.testing.DiskVersions;
import io.understudy.agent.testing.LogCapture;
import io.understudy.agent.testing.Qemu;
import io.understudy.agent.testing.TestAgent;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.http.HttpRequest;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a delta may claim and what a run of zeros costs, judged by qemu-img: a tiny delta claiming a
 * huge empty disk makes a tiny layer; a claim past the configured maximum is refused, naming the field.
 */
class ZeroRunsIT {

    private static final UUID VM = UUID.fromString("6b7c8d9e-0f1a-4b2c-9d3e-4f5a6b7c8d9e");
    private static final String TOKEN = "zero-runs-it-cluster-token";
    private static final int CLUSTER = DiskVersions.CLUSTER;
    private static final long MIB = 1 << 20;

    @TempDir
    Path tmp;

    /** A delta of nothing but zeros over the clusters [first, first + count), from version 0 (a seed) or 1. */
    private static byte[] zeros(long size, boolean seed, long first, long count) throws IOException {
        DeltaHeader h = new DeltaHeader(CLUSTER, size, size, seed,
                seed ? Optional.of(new Manifest(CLUSTER, size).finish()) : Optional.empty(), Optional.of(VM),
                seed ? 0 : 1, seed ? 1 : 2, DiskVersions.CAPTURED);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        DeltaWriter w = new DeltaWriter(out, h);
        for (long c = first; c < first + count; c++) {
            w.zero(c);
        }
        w.finish(h.clusterCount());
        return out.toByteArray();
    }

    private static void assertClean(Path layer) throws IOException {
        JsonNode check = Qemu.check(layer);
        assertThat(check.path("check-errors").asLong(-1)).as(check.toString()).isZero();
        assertThat(check.path("corruptions").asLong(0) + check.path("leaks").asLong(0)).as(check.toString()).isZero();
    }

    private static List<String> tree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return List.of();
        }
        try (Stream<Path> s = Files.walk(dir)) {
            return s.map(p -> dir.relativize(p).toString()).sorted().toList();
        }
    }

    @Test
    void aTinyDeltaClaimingAHugeEmptyDiskMakesATinyLayerAndAClaimPastTheMaximumIsRefused() throws IOException {
        Files.writeString(tmp.resolve("token"), TOKEN);
        Path data = tmp.resolve("data");
        try (TestAgent agent = TestAgent.start("compute2", data, tmp.resolve("instances"), "test:///default",
                tmp.resolve("token"), 0, null, "replication:\n  maxDiskBytes: 1TiB\n");
             LogCapture log = new LogCapture()) {
            agent.secondaryOf(VM);
            Path replicas = data.resolve("replicas");

            long past = 2L << 40;
            byte[] tooBig = zeros(past, true, 0, 1);
            assertThatThrownBy(() -> agent.client().sendDelta(VM, HttpRequest.BodyPublishers.ofByteArray(tooBig)))
                    .isInstanceOf(AgentException.class)
                    .satisfies(e -> assertThat(((AgentException) e).status()).isEqualTo(400))
                    .hasMessageContaining("newSize: " + past + " bytes")
                    .hasMessageContaining("replication.maxDiskBytes");
            assertThat(log.lines()).anyMatch(l -> l.startsWith("WARN ErrorMapper: request refused (400): replica " + VM + ": delta field newSize"));
            assertThat(tree(replicas)).containsExactly("");

            long huge = 256L << 30;
            byte[] delta = zeros(huge, true, 0, huge / CLUSTER);
            assertThat(delta.length).isLessThan(256);
            assertThat(agent.client().sendDelta(VM, HttpRequest.BodyPublishers.ofByteArray(delta)).version())
                    .isEqualTo(1);
            Path layer = replicas.resolve(VM.toString()).resolve("0000000001.qcow2");
            assertThat(Files.size(layer)).as("no L2 tables for a run of zeros over nothing").isLessThan(MIB);
            assertClean(layer);
            JsonNode map = Qemu.map(layer);
            assertThat(map).allSatisfy(e -> assertThat(e.path("data").asBoolean()).isFalse());
            assertThat(map).allSatisfy(e -> assertThat(e.path("zero").asBoolean()).isTrue());
            assertThat(map.get(map.size() - 1).path("start").asLong() + map.get(map.size() - 1).path("length").asLong())
                    .isEqualTo(huge);

            // The replica's own size is no limit: a resize grows the disk by a delta.
            assertThat(agent.client().replica(VM).version()).isEqualTo(1);
        }
    }

    @Test
    void zerosOverDataBelowAreMarkedAndZerosOverNothingCostNothing() throws IOException {
        Path base = tmp.resolve("base.qcow2");
        Qemu.img("create", "-q", "-f", "qcow2", base.toString(), "64M");
        Qemu.io(base, "write -P 0x5a 0 4M", "write -P 0x6b 10M 1M", "write -P 0x7c 40M 64k");
        Path expected = tmp.resolve("expected.qcow2");
        Qemu.img("create", "-q", "-f", "qcow2", "-b", base.toString(), "-F", "qcow2", expected.toString());
        Qemu.io(expected, "write -z 2M 30M", "write -P 0x11 50M 64k");

        // Zeros over [2M, 32M): data below at [2M, 4M) and [10M, 11M), nothing elsewhere; then one cluster of data.
        DeltaHeader h = DeltaHeader.of(CLUSTER, 64 * MIB, 64 * MIB, false, null);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        DeltaWriter w = new DeltaWriter(out, h);
        for (long c = 2 * MIB / CLUSTER; c < 32 * MIB / CLUSTER; c++) {
            w.zero(c);
        }
        byte[] cluster = new byte[CLUSTER];
        Arrays.fill(cluster, (byte) 0x11);
        w.data(50 * MIB / CLUSTER, ByteBuffer.wrap(cluster));
        w.finish(h.clusterCount());
        Path layer = tmp.resolve("layer.qcow2");
        LayerApply.apply(base, new ByteArrayInputStream(out.toByteArray()), layer, false);

        assertThat(Qemu.identical(layer, expected)).as("the layer over its base reads as qemu-io made it").isTrue();
        assertClean(layer);
        long markedZero = 0;
        for (JsonNode e : Qemu.map(layer)) {
            if (e.path("depth").asInt() == 0 && e.path("zero").asBoolean()) {
                markedZero += e.path("length").asLong();
            }
        }
        assertThat(markedZero).as("zero entries only where the base has data").isEqualTo(3 * MIB);
    }
}
