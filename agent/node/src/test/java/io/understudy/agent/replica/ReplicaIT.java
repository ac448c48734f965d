package io.understudy.agent.replica;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.understudy.agent.delta.BadDeltaException;
import io.understudy.agent.delta.DeltaHeader;
import io.understudy.agent.delta.DeltaReader;
import io.understudy.agent.delta.DeltaWriter;
import io.understudy.agent.delta.Manifest;
import io.understudy.agent.qcow2.BackingChain;
import io.understudy.agent.testing.DiskVersions;
import io.understudy.agent.testing.Qemu;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.HexFormat;
import java.util.List;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A replica following a primary's disk version by version, judged by qemu-img. */
class ReplicaIT {

    private static final UUID VM = UUID.fromString("3d5e1c0a-7b2f-4c11-9e55-5a6b7c8d9e0f");
    private static final long CAPTURED = DiskVersions.CAPTURED;

    @TempDir
    Path tmp;

    private Path store;
    private DiskVersions disk;
    private final Clock clock = Clock.fixed(Instant.ofEpochMilli(CAPTURED + 2500), ZoneOffset.UTC);

    @BeforeEach
    void primaryDiskWithFiveVersions() throws IOException {
        store = tmp.resolve("replica");
        disk = new DiskVersions(tmp.resolve("primary"), VM, 5);
    }

    private byte[] delta(int from, int to) throws IOException {
        return disk.delta(from, to);
    }

    private static DeltaReader reader(byte[] delta) throws IOException {
        return DeltaReader.open(new ByteArrayInputStream(delta));
    }

    private void assertHolds(Replica r, int version) throws IOException {
        assertThat(r.state().version()).isEqualTo(version);
        assertThat(Qemu.identical(r.top(), disk.version(version))).as("replica reads like version %d", version).isTrue();
        try (BackingChain chain = BackingChain.open(disk.version(version))) {
            assertThat(r.state().manifestHash()).isEqualTo(HexFormat.of().formatHex(Manifest.of(chain, 65536)));
        }
        for (String layer : r.state().chain()) {
            assertThat(Qemu.check(store.resolve(layer)).path("corruptions").asLong(0)).isZero();
        }
    }

    private List<String> files() throws IOException {
        try (Stream<Path> s = Files.list(store)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void aStartFromABaseImageThatDiedHalfWayLeavesNothingAndItsKeptBottomGoesWithTheLastReplica()
            throws IOException {
        Path root = tmp.resolve("replicas");
        ReplicaStore replicas = new ReplicaStore(root, clock);
        String expected;
        try (BackingChain chain = BackingChain.open(disk.version(1))) {
            expected = HexFormat.of().formatHex(Manifest.of(chain, DiskVersions.CLUSTER));
        }
        assertThat(replicas.fromBase(VM, java.util.Optional.of(disk.version(1)), DiskVersions.CLUSTER, "compute1",
                expected)).contains(expected);
        Replica started = replicas.get(VM).orElseThrow();
        assertThat(started.state().version()).isZero();
        assertThat(started.state().manifestHash()).isEqualTo(expected);
        assertThat(Qemu.identical(started.top(), disk.version(1))).as("version 0 reads like the image").isTrue();
        // A crash while the next one was being copied: the half-built folder is gone at the next start.
        Path halfBuilt = Files.createDirectories(root.resolve(UUID.randomUUID() + ".0.base.partial"));
        Files.writeString(halfBuilt.resolve("base.qcow2.partial"), "half a layer");
        replicas = new ReplicaStore(root, clock);
        assertThat(halfBuilt).doesNotExist();
        assertThat(root.resolve("bases")).isDirectoryContaining(p -> p.toString().endsWith(".qcow2"));
        replicas.delete(VM);
        assertThat(root.resolve("bases")).isEmptyDirectory();
        try (Stream<Path> left = Files.list(root)) {
            assertThat(left.map(p -> p.getFileName().toString()).toList()).containsExactly("bases");
        }
    }

    @Test
    void followsThePrimaryVersionByVersionAndReportsItsLag() throws IOException {
        Replica r = Replica.create(store, VM, 64 << 20, 65536, "compute1", clock);
        assertThat(r.lagSeconds()).isEmpty();
        for (int v = 1; v <= 5; v++) {
            Replica.Receipt receipt = r.receive(reader(delta(v - 1, v)), "compute1");
            assertThat(receipt.applied()).isTrue();
            assertHolds(r, v);
        }
        assertThat(r.state().chain()).as("the seed replaced the empty base").hasSize(5);
        assertThat(r.lagSeconds()).hasValue(2.495);
        assertThat(r.verify().ok()).as(r.verify().problems().toString()).isTrue();
        // Reopening (an agent restart) finds the same state.
        assertThat(Replica.open(store, clock).state()).isEqualTo(r.state());
    }

    @Test
    void namesThePrimaryItsLastDeltaCameFrom() throws IOException {
        Replica r = Replica.create(store, VM, 64 << 20, 65536, "compute1", clock);
        r.receive(reader(delta(0, 1)), "compute1");
        assertThat(r.state().primary()).isEqualTo("compute1");
        // The VM moved to compute2, which sends the next delta.
        r.receive(reader(delta(1, 2)), "compute2");
        assertThat(Replica.open(store, clock).state().primary()).isEqualTo("compute2");
    }

    @Test
    void aReplayChangesNothingAndADeltaFromAnotherVersionIsRefused() throws IOException {
        Replica r = Replica.create(store, VM, 64 << 20, 65536, "compute1", clock);
        r.receive(reader(delta(0, 1)), "compute1");
        r.receive(reader(delta(1, 2)), "compute1");
        List<String> before = files();
        assertThat(r.receive(reader(delta(1, 2)), "compute1").applied()).isFalse();
        assertThatThrownBy(() -> r.receive(reader(delta(3, 4)), "compute1"))
                .isInstanceOf(VersionConflictException.class)
                .satisfies(e -> assertThat(((VersionConflictException) e).held()).isEqualTo(2));
        assertThat(files()).isEqualTo(before);
        assertHolds(r, 2);
    }

    @Test
    void aDeltaMadeAgainstOtherContentIsRefused() throws IOException {
        Replica r = Replica.create(store, VM, 64 << 20, 65536, "compute1", clock);
        r.receive(reader(delta(0, 1)), "compute1");
        // Right version numbers, wrong base content: made from v2's content but labelled 1 → 2.
        byte[] wrong = delta(2, 3);
        byte[] relabelled = relabel(wrong, 1, 2);
        List<String> before = files();
        assertThatThrownBy(() -> r.receive(reader(relabelled), "compute1")).isInstanceOf(BadDeltaException.class)
                .hasMessageContaining("does not hold the content");
        assertThat(files()).isEqualTo(before);
        assertHolds(r, 1);
    }

    /** Rewrites the versions in a delta's header and re-signs it, as a confused primary would send it. */
    private byte[] relabel(byte[] delta, long from, long to) throws IOException {
        DeltaReader in = reader(delta);
        DeltaHeader h = in.header();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        DeltaWriter w = new DeltaWriter(out, new DeltaHeader(h.clusterSize(), h.newSize(), h.baseSize(), h.seed(),
                h.baseManifest(), h.vm(), from, to, h.capturedAtMillis()));
        in.readAll(new DeltaReader.Sink() {
            @Override
            public void data(long cluster, java.nio.ByteBuffer payload, byte[] sha256) throws IOException {
                w.data(cluster, payload);
            }

            @Override
            public void zeros(long first, long count) throws IOException {
                for (long c = first; c < first + count; c++) {
                    w.zero(c);
                }
            }
        });
        w.finish(0);
        return out.toByteArray();
    }

    @Test
    void aDeltaForAnotherVmIsRefused() throws IOException {
        Replica r = Replica.create(tmp.resolve("other"), UUID.randomUUID(), 64 << 20, 65536, "compute1", clock);
        assertThatThrownBy(() -> r.receive(reader(delta(0, 1)), "compute1")).isInstanceOf(BadDeltaException.class)
                .hasMessageContaining("is for VM " + VM);
    }

    @Test
    void squashKeepsTheContentAndShortensTheChain() throws IOException {
        Replica r = Replica.create(store, VM, 64 << 20, 65536, "compute1", clock);
        for (int v = 1; v <= 5; v++) {
            r.receive(reader(delta(v - 1, v)), "compute1");
        }
        assertThat(r.squash(3)).isTrue();
        assertThat(r.state().chain()).hasSize(3);
        assertHolds(r, 5);
        assertThat(r.verify().ok()).isTrue();
        assertThat(r.squash(3)).isFalse();
        // Replication goes on over the squashed chain.
        Replica again = Replica.open(store, clock);
        assertThat(again.state().chain()).isEqualTo(r.state().chain());
    }

    @Test
    void whatACrashLeavesBehindIsRemovedOnOpen() throws IOException {
        Replica r = Replica.create(store, VM, 64 << 20, 65536, "compute1", clock);
        r.receive(reader(delta(0, 1)), "compute1");
        List<String> committed = files();
        // A receive killed after publishing its layer but before the state named it, plus debris.
        Files.copy(store.resolve(r.state().top()), store.resolve(Replica.layerName(2)));
        Files.writeString(store.resolve("manifest-0000000002.bin.partial"), "half");
        Files.writeString(store.resolve(".0000000002.qcow2.partial-x"), "half");
        Replica reopened = Replica.open(store, clock);
        assertThat(files()).isEqualTo(committed);
        assertHolds(reopened, 1);
        assertThat(reopened.receive(reader(delta(1, 2)), "compute1").applied()).isTrue();
        assertHolds(reopened, 2);
    }

    @Test
    void stagingLinksTheLayersUnderANewOverlayThatTakesTheGuestsWrites() throws IOException {
        Replica r = Replica.create(store, VM, 64 << 20, 65536, "compute1", clock);
        for (int v = 1; v <= 3; v++) {
            r.receive(reader(delta(v - 1, v)), "compute1");
        }
        Path instance = tmp.resolve("instances").resolve(VM.toString());
        Path staged = r.stage(instance, "disk");
        assertThat(Qemu.identical(staged, disk.version(3))).isTrue();
        Qemu.io(staged, "write -P 0x77 0 8M");
        assertHolds(r, 3);
        assertThatThrownBy(() -> r.stage(instance, "disk")).hasMessageContaining("refusing to replace");
    }

    @Test
    void aSeedReplacesTheChain() throws IOException {
        Replica r = Replica.create(store, VM, 64 << 20, 65536, "compute1", clock);
        r.receive(reader(delta(0, 1)), "compute1");
        r.receive(reader(delta(1, 2)), "compute1");
        // A primary that lost track of this replica sends everything again, from the version held.
        byte[] seed = relabelSeed(delta(0, 4), 2, 4);
        assertThat(r.receive(reader(seed), "compute1").applied()).isTrue();
        assertThat(r.state().chain()).hasSize(1);
        assertHolds(r, 4);
    }

    private byte[] relabelSeed(byte[] delta, long from, long to) throws IOException {
        return relabel(delta, from, to);
    }

    @Test
    void aFlattenedStageIsOneStandaloneFileOwnedLikeTheInstancesPath() throws IOException {
        Replica r = Replica.create(store, VM, 64 << 20, 65536, "compute1", clock);
        for (int v = 1; v <= 3; v++) {
            r.receive(reader(delta(v - 1, v)), "compute1");
        }
        Path instances = Files.createDirectories(tmp.resolve("nova-instances"));
        // Nova's instances path belongs to Nova's user, not to the agent's (root): "nobody" stands in.
        var nobody = instances.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName("nobody");
        Files.setOwner(instances, nobody);
        Path instance = instances.resolve(VM.toString());
        Path staged = r.stageFlat(instance, "disk");
        assertThat(Qemu.identical(staged, disk.version(3))).isTrue();
        var info = new com.fasterxml.jackson.databind.ObjectMapper().readTree(
                Qemu.img("info", "--output=json", staged.toString()));
        assertThat(info.has("backing-filename")).as("standalone").isFalse();
        assertThat(Qemu.check(staged).path("corruptions").asLong(0)).isZero();
        assertThat(Files.getOwner(staged)).isEqualTo(nobody);
        assertThat(Files.getOwner(instance)).isEqualTo(nobody);
    }
}
