package io.understudy.agent.rejoin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.understudy.agent.api.AgentException;
import io.understudy.agent.api.DeltaReceipt;
import io.understudy.agent.api.Preserved;
import io.understudy.agent.api.Role;
import io.understudy.agent.delta.DeltaReader;
import io.understudy.agent.delta.DeltaStats;
import io.understudy.agent.delta.Divergence;
import io.understudy.agent.api.Protection;
import io.understudy.agent.replication.Protections;
import io.understudy.agent.testing.Agents;
import io.understudy.agent.testing.Cli;
import io.understudy.agent.testing.DiskVersions;
import io.understudy.agent.testing.Qemu;
import io.understudy.agent.testing.RawClusters;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An old primary comes back (DESIGN.md, "Failure", item 3), with two agent daemons on 127.0.0.1
 * (libvirt's test driver; disks made by qemu-img and written by qemu-io): compute1 was the VM's
 * primary, compute2 its secondary at version 2 when compute1 failed. compute1's agent restarts,
 * its instance disk is then deleted as a returning nova-compute deletes it, compute2 becomes the
 * primary, compute1 its secondary: the disk kept by hard links is rolled back to version 2 by
 * fetching only the clusters that differ, and the new primary's deltas take it on.
 */
class RejoinIT {

    private static final UUID VM = UUID.fromString("0d7c4a52-9e1b-4f3a-8d6e-2b5c7a9f1e30");
    private static final String TOKEN = "rejoin-it-cluster-token";
    private static final int CLUSTER = DiskVersions.CLUSTER;

    @TempDir
    Path tmp;

    private Agents agents;
    private DiskVersions history;

    @BeforeEach
    void setUp() throws IOException {
        Files.writeString(tmp.resolve("token"), TOKEN);
        history = new DiskVersions(tmp.resolve("history"), VM, 4);
        agents = new Agents(tmp, "test:///default", tmp.resolve("token"));
        agents.start("compute1");
        agents.start("compute2");
    }

    @AfterEach
    void tearDown() throws IOException {
        agents.close();
    }

    @Test
    void aDivergedOldPrimaryRollsBackToTheLastCommonVersionAndCatchesUpByDeltas() throws Exception {
        secondaryAtVersion2("compute2");
        // compute1's disk as Nova lays it out: an overlay on an image in its cache (_base) holding
        // version 2, plus what the guest wrote after the last round reached compute2.
        Path base = Files.createDirectories(agents.instances("compute1").resolve("_base")).resolve("base.qcow2");
        Qemu.img("convert", "-O", "qcow2", history.version(2).toString(), base.toString());
        Path disk = Files.createDirectories(agents.instances("compute1").resolve(VM.toString())).resolve("disk");
        Qemu.img("create", "-q", "-f", "qcow2", "-b", base.toString(), "-F", "qcow2", disk.toString());
        // Version 2 holds data (pattern 0x50) at 10M..13M and zeros at 40M.
        Qemu.io(disk, "write -P 0x77 11M 1M", "write -P 0x78 40M 5", "write -z 12M 64k",
                // the same bytes again: written (a dirty bitmap would count it), yet not diverged
                "write -P 0x50 12800k 64k");

        oldPrimaryReturns();
        long diverged = RawClusters.differing(preservedDisk(), history.version(2), CLUSTER);
        assertThat(diverged).isEqualTo(18);

        Preserved.Rejoined r = rejoin();
        assertThat(r.version()).isEqualTo(2);
        assertThat(r.divergedClusters()).isEqualTo(diverged);
        long catchUp = catchUpByDeltas();

        long divergedBytes = diverged * CLUSTER;
        System.out.printf("rejoin: %d clusters diverged (%d bytes): %d bytes of data fetched, %d bytes on the wire "
                + "(%.4f of the diverged bytes), in %.3f s; then %d bytes of data in the new primary's deltas%n",
                diverged, divergedBytes, r.payloadBytes(), r.wireBytes(), (double) r.wireBytes() / divergedBytes,
                r.seconds(), catchUp);
        assertThat(r.payloadBytes()).as("data of the 17 clusters that hold data in version 2").isEqualTo(17L * CLUSTER);
        assertThat(r.wireBytes()).isLessThanOrEqualTo((long) (1.05 * divergedBytes));
    }

    @Test
    void anOldPrimaryThatDidNotDivergeFetchesNothing() throws Exception {
        secondaryAtVersion2("compute2");
        // compute1's disk as a staged replica leaves it: version 2's layers beside a fresh overlay.
        Path instance = Files.createDirectories(agents.instances("compute1").resolve(VM.toString()));
        for (int v = 0; v <= 2; v++) {
            Files.copy(history.version(v), instance.resolve("v" + v + ".qcow2"));
        }
        Qemu.img("create", "-q", "-f", "qcow2", "-b", "v2.qcow2", "-F", "qcow2", instance.resolve("disk").toString());

        oldPrimaryReturns();
        assertThat(RawClusters.differing(preservedDisk(), history.version(2), CLUSTER)).isZero();

        Preserved.Rejoined r = rejoin();
        assertThat(r.divergedClusters()).isZero();
        assertThat(r.payloadBytes()).isZero();
        assertThat(r.wireBytes()).isZero();
        long catchUp = catchUpByDeltas();
        System.out.printf("rejoin without divergence: %d bytes on the wire; then %d bytes of data in deltas%n",
                r.wireBytes(), catchUp);
    }

    @Test
    void hostileInputAndAnUnknownVmAreRefused() throws Exception {
        secondaryAtVersion2("compute2");
        URI url1 = agents.agent("compute1").url();
        URI url2 = agents.agent("compute2").url();
        for (String bad : List.of("../../etc", "not-a-uuid", VM + "0")) {
            assertThat(status(url1, "GET", "/v1/preserved/" + bad, null)).as(bad).isIn(400, 404);
            assertThat(status(url2, "GET", "/v1/replicas/" + bad + "/manifest?version=2", null)).as(bad).isIn(400, 404);
            assertThat(status(url2, "POST", "/v1/replicas/" + bad + "/clusters?version=2", new byte[16]))
                    .as(bad).isIn(400, 404);
        }
        assertThat(status(url1, "GET", "/v1/preserved/" + UUID.randomUUID(), null)).isEqualTo(404);
        assertThat(status(url2, "GET", "/v1/replicas/" + UUID.randomUUID() + "/manifest?version=2", null))
                .isEqualTo(404);
        assertThat(status(url2, "GET", "/v1/replicas/" + VM + "/manifest?version=1", null)).isEqualTo(409);
        String clusters = "/v1/replicas/" + VM + "/clusters?version=2";
        assertThat(status(url2, "POST", clusters, new byte[7])).isEqualTo(400);
        assertThat(status(url2, "POST", clusters, Divergence.encode(new long[] {1000, 100}))).isEqualTo(400);
        assertThat(status(url2, "POST", clusters, Divergence.encode(new long[] {5, 3, 6, 1}))).isEqualTo(400);
        assertThat(status(url2, "POST", clusters, Divergence.encode(new long[] {5, 0}))).isEqualTo(400);
        assertThat(status(url2, "POST", clusters, new byte[(int) Divergence.maxBytes(1024) + 16])).isEqualTo(413);
        // A good request: version 2's content at clusters 80..95 (written by version 1) and 160..175 (version 2).
        byte[] good = Divergence.encode(new long[] {80, 16, 160, 16});
        try (InputStream in = agents.client("compute2").replicaClusters(VM, 2, good)) {
            DeltaStats stats = DeltaReader.open(in).readAll(new DeltaReader.Sink() {
                @Override
                public void data(long cluster, java.nio.ByteBuffer payload, byte[] sha256) {}

                @Override
                public void zeros(long first, long count) {}
            });
            assertThat(stats.newClusters()).isEqualTo(32);
        }

        // compute1 preserved a VM compute2 holds nothing of: the rejoin gives up, and a seed will do.
        UUID stranger = UUID.randomUUID();
        Path instance = Files.createDirectories(agents.instances("compute1").resolve(stranger.toString()));
        Qemu.img("create", "-q", "-f", "qcow2", instance.resolve("disk").toString(), "64M");
        agents.protect("compute1", stranger, Role.PRIMARY, "compute2");
        assertThat(agents.client("compute1").preserved(stranger).state()).isEqualTo(Preserved.State.PRESERVED);
        agents.protect("compute1", stranger, Role.SECONDARY, "compute2");
        Preserved failed = agents.settled("compute1", stranger, Duration.ofMinutes(1));
        assertThat(failed.state()).isEqualTo(Preserved.State.FAILED);
        assertThat(failed.lastError()).contains("no replica of " + stranger);
        assertThat(agents.dataDir("compute1").resolve("preserved").resolve(stranger.toString())).doesNotExist();
        assertThatThrownBy(() -> agents.client("compute1").replica(stranger))
                .satisfies(e -> assertThat(((AgentException) e).status()).isEqualTo(404));
        agents.client("compute1").unprotect(stranger);
        assertThatThrownBy(() -> agents.client("compute1").preserved(stranger))
                .satisfies(e -> assertThat(((AgentException) e).status()).isEqualTo(404));
    }

    @Test
    void preserveRunsBeforeTheDaemonAndTwiceChangesNothing() throws Exception {
        Path data = tmp.resolve("compute3/data");
        Path instance = Files.createDirectories(tmp.resolve("compute3/instances").resolve(VM.toString()));
        Qemu.img("create", "-q", "-f", "qcow2", instance.resolve("disk").toString(), "64M");
        new Protections(data.resolve("protection")).put(new Protection(VM, Role.PRIMARY,
                List.of(agents.peer("compute2")), Duration.ofHours(1)));
        Path config = tmp.resolve("compute3/agent.yaml");
        Files.writeString(config, """
                host: compute3
                dataDir: %s
                instancesPath: %s
                auth:
                  mode: token
                  tokenFile: %s
                """.formatted(data, instance.getParent(), tmp.resolve("token")));
        for (int i = 0; i < 2; i++) {
            Cli.Result r = Cli.run("preserve", "--config", config.toString());
            assertThat(r.exit()).as(r.err()).isZero();
            assertThat(Files.isSameFile(data.resolve("preserved").resolve(VM.toString()).resolve("disk"),
                    instance.resolve("disk"))).isTrue();
        }
        assertThat(Cli.run("preserve", "--config", tmp.resolve("nothing.yaml").toString()).exit()).isEqualTo(3);
    }

    /** {@code host} follows compute1 as its secondary up to version 2. */
    private void secondaryAtVersion2(String host) throws IOException {
        agents.protect(host, VM, Role.SECONDARY, "compute1");
        for (int v = 1; v <= 2; v++) {
            agents.client(host).sendDelta(VM, HttpRequest.BodyPublishers.ofByteArray(history.delta(v - 1, v)));
        }
    }

    /**
     * compute1 (the VM's primary, its disk in place) fails and comes back: its agent starts first
     * and preserves the disk, then nova-compute deletes the instance directory; compute2 is the
     * primary by then. Until compute1 is assigned as secondary it answers 503 for the VM's replica,
     * so a primary waits instead of seeding it.
     */
    private void oldPrimaryReturns() throws IOException {
        agents.protect("compute1", VM, Role.PRIMARY, "compute2");
        Preserved first = agents.client("compute1").preserved(VM);
        assertThat(first.state()).isEqualTo(Preserved.State.PRESERVED);
        agents.start("compute1");
        assertThat(agents.client("compute1").preserved(VM)).as("preserving again changes nothing").isEqualTo(first);
        deleteTree(agents.instances("compute1").resolve(VM.toString()));
        agents.protect("compute2", VM, Role.PRIMARY, "compute1");
        assertThatThrownBy(() -> agents.client("compute1").replica(VM))
                .satisfies(e -> assertThat(((AgentException) e).status()).isEqualTo(503));
        assertThatThrownBy(() -> agents.client("compute1").sendDelta(VM,
                HttpRequest.BodyPublishers.ofByteArray(history.delta(0, 3))))
                .satisfies(e -> assertThat(((AgentException) e).status()).isEqualTo(503));
        assertThat(Qemu.check(preservedDisk()).path("corruptions").asLong(0)).isZero();
    }

    /** compute1 is assigned as compute2's secondary and rolls back. */
    private Preserved.Rejoined rejoin() throws Exception {
        agents.protect("compute1", VM, Role.SECONDARY, "compute2");
        Preserved p = agents.settled("compute1", VM, Duration.ofMinutes(1));
        assertThat(p.state()).as(String.valueOf(p.lastError())).isEqualTo(Preserved.State.REJOINED);
        assertThat(preservedDisk()).doesNotExist();
        var held = agents.client("compute1").replica(VM);
        assertThat(held.version()).isEqualTo(2);
        assertThat(held.manifest()).isEqualTo(agents.client("compute2").replica(VM).manifest());
        return p.rejoined();
    }

    /**
     * The new primary's rounds after version 2 (its own history: versions 3 and 4) reach compute1
     * as ordinary deltas; compute1 ends equal to version 4. Returns their data bytes.
     */
    private long catchUpByDeltas() throws IOException {
        long payload = 0;
        for (int v = 3; v <= 4; v++) {
            DeltaReceipt receipt = agents.client("compute1").sendDelta(VM,
                    HttpRequest.BodyPublishers.ofByteArray(history.delta(v - 1, v)));
            assertThat(receipt.applied()).isTrue();
            payload += receipt.payloadBytes();
        }
        Path staged = Path.of(agents.client("compute1").stage(VM).disk());
        assertThat(Qemu.identical(staged, history.version(4))).as("compute1's replica equals version 4").isTrue();
        return payload;
    }

    private Path preservedDisk() {
        return agents.dataDir("compute1").resolve("preserved").resolve(VM.toString()).resolve("disk");
    }

    private static int status(URI base, String method, String path, byte[] body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(base.resolve(path)).header("Authorization", "Bearer " + TOKEN)
                .header("Content-Type", "application/octet-stream");
        b = body == null ? b.method(method, HttpRequest.BodyPublishers.noBody())
                : b.method(method, HttpRequest.BodyPublishers.ofByteArray(body));
        HttpResponse<String> r = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build()
                .send(b.build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.body()).doesNotContain("Exception");
        return r.statusCode();
    }

    private static void deleteTree(Path dir) throws IOException {
        try (Stream<Path> all = Files.walk(dir)) {
            for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
