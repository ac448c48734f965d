package io.understudy.agent.delta;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.understudy.agent.testing.Cli;
import io.understudy.agent.testing.Images;
import io.understudy.agent.testing.Images.Variant;
import io.understudy.agent.testing.Qemu;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Deltas end to end through the command line, judged by QEMU: after {@code apply}, the new layer
 * reads exactly like NEW ({@code qemu-img compare}) and {@code qemu-img check} finds it clean.
 */
class DeltaIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long MIB = 1 << 20;

    @TempDir
    Path dir;

    static List<Variant> variants() {
        return Images.variants();
    }

    /** Runs the CLI; it must succeed; returns its JSON line. */
    private static JsonNode ok(String... args) throws IOException {
        Cli.Result r = Cli.run(args);
        assertThat(r.exit()).as(String.join(" ", args) + ": " + r.err()).isZero();
        assertThat(r.err()).isEmpty();
        return JSON.readTree(r.out());
    }

    private Path copy(Path image, String name) throws IOException {
        return Files.copy(image, dir.resolve(name));
    }

    private static void assertLayerIsNew(Path layer, Path expected) throws IOException {
        assertThat(Qemu.identical(layer, expected)).as(layer + " reads like " + expected).isTrue();
        JsonNode check = Qemu.check(layer);
        assertThat(check.path("corruptions").asLong(0)).as("corruptions").isZero();
        assertThat(check.path("leaks").asLong(0)).as("leaks").isZero();
        assertThat(check.path("check-errors").asLong(0)).isZero();
        assertThat(Cli.run("image", "check", layer.toString()).exit()).isZero();
    }

    /**
     * The usual case, for every variant: NEW is OLD plus an overlay. Only the overlay's clusters
     * are examined; identical rewrites do not travel; zeros travel without payload.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("variants")
    void overlayOnOldBringsTheReplicaToNew(Variant v) throws IOException {
        Path old = Images.create(dir.resolve("old.qcow2"), v, "40M");
        Images.writeEverything(old, v.clusterSize(), 40 * MIB, 1);
        Path replica = copy(old, "replica.qcow2");
        Path neu = Images.overlay(dir.resolve("new.qcow2"), v, old.getFileName(), "qcow2");
        long c = Math.max(v.clusterSize(), 65536);
        Qemu.io(neu,
                "write -P 0x12 0 " + c,                    // the same bytes OLD holds there: not new
                "write -P 0x77 " + (2 * c) + " " + c,       // new data
                "write -z " + (8 * c) + " " + c,            // OLD's data becomes zeros
                "write -z " + (16 * c) + " " + c,           // zeros where OLD reads zeros: not new
                "write -P 0x78 " + (c + 1024) + " 512");    // a sub-cluster change
        JsonNode diff = ok("image", "diff", "--from", old.toString(), "--to", neu.toString(),
                "--out", dir.resolve("d").toString());
        assertThat(diff.get("mode").asText()).isEqualTo("ABOVE_OLD");
        long clusterUnit = v.clusterSize();
        // Examined: only what the overlay allocated (in units of NEW's clusters).
        assertThat(diff.get("clusters").asLong()).isEqualTo(4 * c / clusterUnit + 1);
        assertThat(diff.get("newClusters").asLong()).isEqualTo(c / clusterUnit + 1);
        assertThat(diff.get("zeroClusters").asLong()).isEqualTo(c / clusterUnit);
        assertThat(diff.get("deltaBytes").asLong()).isEqualTo(Files.size(dir.resolve("d")));

        JsonNode apply = ok("image", "apply", "--base", replica.toString(), "--delta", dir.resolve("d").toString(),
                "--out", dir.resolve("layer.qcow2").toString());
        assertThat(apply.get("newClusters").asLong()).isEqualTo(diff.get("newClusters").asLong());
        assertLayerIsNew(dir.resolve("layer.qcow2"), neu);
    }

    /** Two unrelated files (NEW flattened, with other options) are compared in full; same result. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("variants")
    void unrelatedFilesAreComparedInFull(Variant v) throws IOException {
        Path old = Images.create(dir.resolve("old.qcow2"), v, "40M");
        Images.writeEverything(old, v.clusterSize(), 40 * MIB, 1);
        Path replica = copy(old, "replica.qcow2");
        Path chain = Images.overlay(dir.resolve("chain.qcow2"), v, old.getFileName(), "qcow2");
        Qemu.io(chain, "write -P 0x66 3M 200k", "write -z 0 64k");
        Path neu = dir.resolve("new.qcow2");
        Qemu.img("convert", "-c", "-O", "qcow2", "-o", "cluster_size=4k", chain.toString(), neu.toString());
        JsonNode diff = ok("image", "diff", "--from", old.toString(), "--to", neu.toString(),
                "--out", dir.resolve("d").toString());
        assertThat(diff.get("mode").asText()).isEqualTo("FULL_COMPARE");
        assertThat(diff.get("payloadBytes").asLong()).isEqualTo(200 * 1024);
        ok("image", "apply", "--base", replica.toString(), "--delta", dir.resolve("d").toString(),
                "--out", dir.resolve("layer.qcow2").toString());
        assertLayerIsNew(dir.resolve("layer.qcow2"), neu);
    }

    /** Without --from the delta seeds an empty disk of NEW's size; only non-zero clusters travel. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("variants")
    void seedFillsAnEmptyDisk(Variant v) throws IOException {
        Path neu = Images.create(dir.resolve("new.qcow2"), v, "40M");
        Images.writeEverything(neu, v.clusterSize(), 40 * MIB, 3);
        Path empty = dir.resolve("empty.qcow2");
        Qemu.img("create", "-q", "-f", "qcow2", empty.toString(), "40M");
        JsonNode diff = ok("image", "diff", "--to", neu.toString(), "--out", dir.resolve("d").toString());
        assertThat(diff.get("mode").asText()).isEqualTo("SEED");
        assertThat(diff.get("zeroClusters").asLong()).isZero();
        ok("image", "apply", "--base", empty.toString(), "--delta", dir.resolve("d").toString(),
                "--out", dir.resolve("layer.qcow2").toString());
        assertLayerIsNew(dir.resolve("layer.qcow2"), neu);
    }

    /** Nova's layout: a qcow2 instance disk over a sparse raw base in _base; the replica holds a copy of the base. */
    @Test
    void novaInstanceDiskOverRawBase() throws IOException {
        Path base = dir.resolve("base.raw");
        Qemu.img("create", "-q", "-f", "raw", base.toString(), "32M");
        Qemu.ioAs("raw", base, "write -P 0x21 0 8M", "write -P 0x22 20M 1M");
        Path disk = dir.resolve("disk");
        Qemu.img("create", "-q", "-f", "qcow2", "-b", base.toString(), "-F", "raw", disk.toString());
        Qemu.io(disk, "write -P 0x23 1M 2M", "write -z 20M 64k", "write -P 0x24 30M 8k");
        Files.createDirectory(dir.resolve("replica"));
        Path replicaBase = Files.copy(base, dir.resolve("replica/base.raw"));
        ok("image", "diff", "--from", base.toString(), "--to", disk.toString(), "--out", dir.resolve("d").toString());
        ok("image", "apply", "--base", replicaBase.toString(), "--delta", dir.resolve("d").toString(),
                "--out", dir.resolve("replica/layer.qcow2").toString());
        assertLayerIsNew(dir.resolve("replica/layer.qcow2"), disk);
        // The layer names its backing file relative to itself, and its format (libvirt needs it).
        JsonNode info = JSON.readTree(Qemu.img("info", "--output=json", dir.resolve("replica/layer.qcow2").toString()));
        assertThat(info.get("backing-filename").asText()).isEqualTo("base.raw");
        assertThat(info.get("backing-filename-format").asText()).isEqualTo("raw");
    }

    /** A replica follows a VM over several rounds: each delta is one more layer on the last. */
    @Test
    void successiveDeltasStackAsLayers() throws IOException {
        Path v0 = dir.resolve("v0.qcow2");
        Qemu.img("create", "-q", "-f", "qcow2", v0.toString(), "64M");
        Qemu.io(v0, "write -P 0x01 0 16M");
        Path replicaTop = copy(v0, "r0.qcow2");
        Path previous = v0;
        for (int round = 1; round <= 4; round++) {
            Path next = dir.resolve("v" + round + ".qcow2");
            Qemu.img("create", "-q", "-f", "qcow2", "-b", previous.getFileName().toString(), "-F", "qcow2", next.toString());
            Qemu.io(next, "write -P 0x" + (round + 0x40) + " " + (round * 3) + "M 1M", "write -z " + round + "M 64k");
            Path delta = dir.resolve("d" + round);
            ok("image", "diff", "--from", previous.toString(), "--to", next.toString(), "--out", delta.toString());
            Path layer = dir.resolve("r" + round + ".qcow2");
            ok("image", "apply", "--base", replicaTop.toString(), "--delta", delta.toString(), "--out", layer.toString());
            assertLayerIsNew(layer, next);
            replicaTop = layer;
            previous = next;
        }
    }

    /** A disk grown between rounds: the layer takes NEW's size; the replica reads zeros past its end. */
    @Test
    void resizedDisk() throws IOException {
        Path old = dir.resolve("old.qcow2");
        Qemu.img("create", "-q", "-f", "qcow2", old.toString(), "16M");
        Qemu.io(old, "write -P 0x31 0 16M");
        Path replica = copy(old, "replica.qcow2");
        Path neu = dir.resolve("new.qcow2");
        Qemu.img("create", "-q", "-f", "qcow2", "-b", "old.qcow2", "-F", "qcow2", neu.toString(), "24M");
        Qemu.io(neu, "write -P 0x32 20M 1M");
        ok("image", "diff", "--from", old.toString(), "--to", neu.toString(), "--out", dir.resolve("d").toString());
        ok("image", "apply", "--base", replica.toString(), "--delta", dir.resolve("d").toString(),
                "--out", dir.resolve("layer.qcow2").toString());
        assertLayerIsNew(dir.resolve("layer.qcow2"), neu);
    }

    /** A disk past 2 TiB whose writes sit near its end: cost follows the data, not the size. */
    @Test
    void hugeSparseDisk() throws IOException {
        Path neu = dir.resolve("new.qcow2");
        Qemu.img("create", "-q", "-f", "qcow2", neu.toString(), "3T");
        long nearEnd = 3L * (1L << 40) - 4 * MIB;
        Qemu.io(neu, "write -P 0x51 " + nearEnd + " 2M", "write -P 0x52 0 64k");
        Path empty = dir.resolve("empty.qcow2");
        Qemu.img("create", "-q", "-f", "qcow2", empty.toString(), "3T");
        JsonNode diff = ok("image", "diff", "--to", neu.toString(), "--out", dir.resolve("d").toString());
        assertThat(diff.get("clusters").asLong()).isEqualTo(33);
        ok("image", "apply", "--base", empty.toString(), "--delta", dir.resolve("d").toString(),
                "--out", dir.resolve("layer.qcow2").toString());
        assertLayerIsNew(dir.resolve("layer.qcow2"), neu);
    }

    /** The delta's unit is NEW's cluster size, whatever the replica's: here 512 B over 2 MiB. */
    @Test
    void layerTakesTheDeltasClusterSize() throws IOException {
        Path old = dir.resolve("old.qcow2");
        Qemu.img("create", "-q", "-f", "qcow2", "-o", "cluster_size=2M", old.toString(), "8M");
        Qemu.io(old, "write -P 0x61 0 8M");
        Path replica = copy(old, "replica.qcow2");
        Path neu = dir.resolve("new.qcow2");
        Qemu.img("create", "-q", "-f", "qcow2", "-o", "cluster_size=512", "-b", "old.qcow2", "-F", "qcow2", neu.toString());
        Qemu.io(neu, "write -P 0x62 4097 700");
        JsonNode diff = ok("image", "diff", "--from", old.toString(), "--to", neu.toString(), "--out", dir.resolve("d").toString());
        assertThat(diff.get("newClusters").asLong()).as("bytes 4097..4796 touch clusters 8 and 9").isEqualTo(2);
        ok("image", "apply", "--base", replica.toString(), "--delta", dir.resolve("d").toString(),
                "--out", dir.resolve("layer.qcow2").toString());
        assertLayerIsNew(dir.resolve("layer.qcow2"), neu);
        assertThat(JSON.readTree(Qemu.img("info", "--output=json", dir.resolve("layer.qcow2").toString()))
                .get("cluster-size").asInt()).isEqualTo(512);
    }

    // --- refusals: a clear one-line error, exit 3, and nothing written ---

    private Path[] oldNewAndDelta() throws IOException {
        Path old = dir.resolve("old.qcow2");
        Qemu.img("create", "-q", "-f", "qcow2", old.toString(), "8M");
        Qemu.io(old, "write -P 0x71 0 4M");
        Path neu = dir.resolve("new.qcow2");
        Qemu.img("create", "-q", "-f", "qcow2", "-b", "old.qcow2", "-F", "qcow2", neu.toString());
        Qemu.io(neu, "write -P 0x72 1M 1M");
        Path delta = dir.resolve("d");
        ok("image", "diff", "--hash-base", "--from", old.toString(), "--to", neu.toString(), "--out", delta.toString());
        return new Path[] {old, neu, delta};
    }

    private void assertRefused(String reason, String... args) throws IOException {
        try (Stream<Path> before = Files.list(dir)) {
            List<Path> files = before.toList();
            Cli.Result r = Cli.run(args);
            assertThat(r.exit()).as(r.err()).isEqualTo(3);
            assertThat(r.err().strip()).doesNotContain("\n").contains(reason).doesNotContain("Exception");
            try (Stream<Path> after = Files.list(dir)) {
                assertThat(after.toList()).as("nothing written").containsExactlyInAnyOrderElementsOf(files);
            }
        }
    }

    @Test
    void aBaseOfAnotherSizeIsRefused() throws IOException {
        Path[] f = oldNewAndDelta();
        Path other = dir.resolve("other.qcow2");
        Qemu.img("create", "-q", "-f", "qcow2", other.toString(), "9M");
        assertRefused("was made against a base of 8388608 bytes",
                "image", "apply", "--base", other.toString(), "--delta", f[2].toString(), "--out", dir.resolve("l").toString());
    }

    @Test
    void verifyBaseRefusesOtherContentOfTheRightSize() throws IOException {
        Path[] f = oldNewAndDelta();
        Path other = dir.resolve("other.qcow2");
        Qemu.img("create", "-q", "-f", "qcow2", other.toString(), "8M");
        Qemu.io(other, "write -P 0x71 0 4M", "write -P 1 5M 512");
        assertRefused("does not hold the content", "image", "apply", "--verify-base", "--base", other.toString(),
                "--delta", f[2].toString(), "--out", dir.resolve("l").toString());
        // The right base passes the same check.
        ok("image", "apply", "--verify-base", "--base", f[0].toString(), "--delta", f[2].toString(),
                "--out", dir.resolve("l").toString());
        assertLayerIsNew(dir.resolve("l"), f[1]);
    }

    @Test
    void aTamperedDeltaLeavesNoLayer() throws IOException {
        Path[] f = oldNewAndDelta();
        try (RandomAccessFile raf = new RandomAccessFile(f[2].toFile(), "rw")) {
            raf.seek(raf.length() / 2);
            int b = raf.read();
            raf.seek(raf.length() / 2);
            raf.write(b ^ 0x40);
        }
        assertRefused("damaged", "image", "apply", "--base", f[0].toString(), "--delta", f[2].toString(),
                "--out", dir.resolve("l").toString());
    }

    @Test
    void aTruncatedDeltaLeavesNoLayer() throws IOException {
        Path[] f = oldNewAndDelta();
        try (RandomAccessFile raf = new RandomAccessFile(f[2].toFile(), "rw")) {
            raf.setLength(raf.length() - 40);
        }
        assertRefused("truncated", "image", "apply", "--base", f[0].toString(), "--delta", f[2].toString(),
                "--out", dir.resolve("l").toString());
    }

    @Test
    void anExistingLayerIsNeverOverwritten() throws IOException {
        Path[] f = oldNewAndDelta();
        Path layer = Files.writeString(dir.resolve("l"), "precious");
        assertRefused("refusing to overwrite", "image", "apply", "--base", f[0].toString(), "--delta", f[2].toString(),
                "--out", layer.toString());
        assertThat(Files.readString(layer)).isEqualTo("precious");
    }

    @Test
    void usageErrorsExitTwo() {
        Cli.Result r = Cli.run("image", "diff", "--to", "x");
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err().strip()).doesNotContain("\n").contains("--out");
    }
}
