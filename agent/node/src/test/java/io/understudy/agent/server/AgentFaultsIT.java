package io.understudy.agent.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.understudy.agent.api.AgentClient;
import io.understudy.agent.api.AgentException;
import io.understudy.agent.delta.DeltaHeader;
import io.understudy.agent.delta.DeltaWriter;
import io.understudy.agent.delta.Manifest;
import io.understudy.agent.resources.ReplicaResource;
import io.understudy.agent.testing.DiskVersions;
import io.understudy.agent.testing.LogCapture;
import io.understudy.agent.testing.PipedDelta;
import io.understudy.agent.testing.Qemu;
import io.understudy.agent.testing.TestAgent;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What goes wrong on a secondary while a delta arrives, each ending with the replica as it was
 * before, whole, and a clear answer: the agent killed in the middle of the stream, and its disk
 * filling up, its sender stalling. A VM's first seed that fails so (or for its size) leaves nothing that stands in the
 * next one's way, before and after a restart.
 */
class AgentFaultsIT {

    private static final UUID VM = UUID.fromString("7c1d2e3f-4a5b-4c6d-8e9f-0a1b2c3d4e5f");
    private static final String TOKEN = "agent-faults-it-cluster-token";

    @TempDir
    Path tmp;

    private TestAgent agent;
    private Path mount;

    @AfterEach
    void tearDown() throws IOException {
        if (agent != null) {
            agent.close();
        }
        if (mount != null) {
            Qemu.ok("umount", mount.toString());
        }
    }

    private TestAgent start(Path data) throws IOException {
        return start(data, "");
    }

    /** An agent on {@code data}, with {@code more} configuration, restarted if one runs. */
    private TestAgent start(Path data, String more) throws IOException {
        if (agent != null) {
            agent.close();
        }
        Files.writeString(tmp.resolve("token"), TOKEN);
        return TestAgent.start("compute2", data, tmp.resolve("instances"), "test:///default", tmp.resolve("token"), 0,
                null, more);
    }

    /** Starts the agent on {@code data} as VM's secondary, with {@code disk}'s version 1; returns the replica's folder. */
    private Path holdingVersion1(Path data, DiskVersions disk, String more) throws IOException {
        agent = start(data, more);
        agent.secondaryOf(VM);
        agent.client().sendDelta(VM, HttpRequest.BodyPublishers.ofByteArray(disk.delta(0, 1)));
        return data.resolve("replicas").resolve(VM.toString());
    }

    private static List<String> files(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    /** Every path under the replica store of {@code data}, relative to it. */
    private static List<String> stored(Path data) throws IOException {
        Path replicas = data.resolve("replicas");
        try (Stream<Path> all = Files.walk(replicas)) {
            return all.filter(p -> !p.equals(replicas)).map(p -> replicas.relativize(p).toString()).sorted().toList();
        }
    }

    /** A seed of {@code disk}'s version 2 is taken, and after a restart the store holds that and nothing else. */
    private void assertTheNextSeedIsTaken(Path data, DiskVersions disk) throws IOException {
        assertThat(agent.client().sendDelta(VM, HttpRequest.BodyPublishers.ofByteArray(disk.delta(0, 2))).version())
                .isEqualTo(2);
        agent = start(data);
        assertThat(agent.client().replica(VM).version()).isEqualTo(2);
        assertThat(stored(data)).containsExactly(VM.toString(), VM + "/0000000002.qcow2",
                VM + "/manifest-0000000002.bin", VM + "/state.json");
        assertThat(Qemu.identical(data.resolve("replicas").resolve(VM.toString()).resolve("0000000002.qcow2"),
                disk.version(2))).isTrue();
    }

    @Test
    void aSecondaryKilledMidStreamKeepsItsVersionAndTakesTheDeltaAgain() throws Exception {
        Path data = tmp.resolve("data");
        DiskVersions disk = new DiskVersions(tmp.resolve("primary"), VM, 2);
        Path replicaDir = holdingVersion1(data, disk, "");
        List<String> committed = files(replicaDir);

        byte[] delta = disk.delta(1, 2);
        PipedDelta sending = PipedDelta.start(agent.client(), VM);
        sending.write(delta, 0, delta.length / 2);
        // The secondary is receiving: its temporary layer exists. Now it dies.
        assertThat(PipedDelta.awaitReceiving(replicaDir)).isTrue();
        agent.close();
        sending.close();
        assertThat(sending.outcome()).isInstanceOf(IOException.class);

        agent = start(data);
        assertThat(agent.client().replica(VM).version()).isEqualTo(1);
        assertThat(files(replicaDir)).isEqualTo(committed);
        assertThat(agent.client().replica(VM).manifest()).isNotBlank();
        assertThat(agent.client().sendDelta(VM, HttpRequest.BodyPublishers.ofByteArray(delta)).version()).isEqualTo(2);
        Path top = replicaDir.resolve("0000000002.qcow2");
        assertThat(Qemu.identical(top, disk.version(2))).isTrue();
    }

    @Test
    void aFullDiskOnTheSecondaryAnswers507AndLeavesTheReplicaWhole() throws Exception {
        mount = Files.createDirectory(tmp.resolve("small"));
        Qemu.ok("mount", "-t", "tmpfs", "-o", "size=6m", "tmpfs", mount.toString());
        DiskVersions disk = new DiskVersions(tmp.resolve("primary"), VM, 3);
        Path replicaDir = holdingVersion1(mount.resolve("data"), disk, "");
        List<String> committed = files(replicaDir);

        assertThatThrownBy(() -> agent.client().sendDelta(VM,
                HttpRequest.BodyPublishers.ofByteArray(disk.delta(1, 3))))
                .isInstanceOf(AgentException.class)
                .satisfies(e -> assertThat(((AgentException) e).status()).isEqualTo(507))
                .hasMessageContaining("No space left");
        assertThat(files(replicaDir)).isEqualTo(committed);
        assertThat(agent.client().replica(VM).version()).isEqualTo(1);
        Path top = replicaDir.resolve("0000000001.qcow2");
        assertThat(Qemu.identical(top, disk.version(1))).isTrue();
    }

    @Test
    void aStalledSenderHoldsUpNeitherStatusRequestsNorTheReplica() throws Exception {
        // Long enough that the status requests below are answered while the body still stalls.
        Duration bodyTimeout = Duration.ofSeconds(8);
        DiskVersions disk = new DiskVersions(tmp.resolve("primary"), VM, 2);
        Path replicaDir = holdingVersion1(tmp.resolve("data"), disk,
                "replication:\n  bodyTimeout: " + bodyTimeout.toSeconds() + "s\n");
        List<String> committed = files(replicaDir);
        byte[] delta = disk.delta(1, 2);

        try (LogCapture log = new LogCapture();
             Socket sender = new Socket("127.0.0.1", agent.port())) {
            sender.setSoTimeout((int) bodyTimeout.multipliedBy(4).toMillis());
            OutputStream out = sender.getOutputStream();
            out.write(("POST /v1/replicas/" + VM + "/deltas HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                    + "Authorization: Bearer " + TOKEN + "\r\nContent-Type: application/octet-stream\r\n"
                    + "Content-Length: " + delta.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.write(delta, 0, delta.length / 2);
            out.flush();
            // The agent is receiving (its temporary layer exists), and the sender says nothing more.
            assertThat(PipedDelta.awaitReceiving(replicaDir)).isTrue();

            // A client that gives up after 3 s: each answer must come while the body still stalls.
            AgentClient impatient = new AgentClient(agent.url(), TOKEN, null, Duration.ofSeconds(3));
            assertThat(impatient.replicas()).singleElement().satisfies(r -> assertThat(r.version()).isEqualTo(1));
            assertThat(impatient.hostStats()).isNotNull();
            assertThat(impatient.health()).isNotNull();
            assertThat(files(replicaDir)).as("still receiving").anyMatch(f -> f.contains(".partial"));

            InputStream in = sender.getInputStream();
            assertThat(new String(in.readNBytes(12), StandardCharsets.US_ASCII)).isEqualTo("HTTP/1.1 408");
            assertThat(log.lines()).anyMatch(l -> l.startsWith("WARN ErrorMapper: request refused (408): replica " + VM) && l.contains("stopped arriving")
                    && l.contains("replication.bodyTimeout"));
        }
        assertThat(agent.client().replica(VM).version()).isEqualTo(1);
        assertThat(files(replicaDir)).isEqualTo(committed);
        assertThat(agent.client().sendDelta(VM, HttpRequest.BodyPublishers.ofByteArray(delta)).version()).isEqualTo(2);
    }

    @Test
    void aFirstSeedOnAFullDiskAnswers507AndLeavesNothing() throws Exception {
        mount = Files.createDirectory(tmp.resolve("small"));
        Qemu.ok("mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", mount.toString());
        Path data = mount.resolve("data");
        agent = start(data);
        agent.secondaryOf(VM);
        DiskVersions disk = new DiskVersions(tmp.resolve("primary"), VM, 2);
        Path filler = mount.resolve("filler");
        try (OutputStream out = Files.newOutputStream(filler)) {
            byte[] block = new byte[4096];
            while (true) {
                out.write(block);
                out.flush();
            }
        } catch (IOException full) {
            // the file system is full now
        }
        assertThatThrownBy(() -> agent.client().sendDelta(VM,
                HttpRequest.BodyPublishers.ofByteArray(disk.delta(0, 2))))
                .isInstanceOf(AgentException.class)
                .satisfies(e -> assertThat(((AgentException) e).status()).isEqualTo(507))
                .hasMessageContaining("No space left");
        assertThat(stored(data)).isEmpty();
        Files.delete(filler);
        assertTheNextSeedIsTaken(data, disk);
    }

    @Test
    void aFirstSeedRefusedForItsSizeLeavesNothing() throws Exception {
        Path data = tmp.resolve("data");
        agent = start(data, "replication:\n  maxDiskBytes: 1GiB\n");
        agent.secondaryOf(VM);
        // More than this agent takes: refused before anything is written.
        long size = 2L << 30;
        DeltaHeader h = new DeltaHeader(DiskVersions.CLUSTER, size, size, true,
                Optional.of(new Manifest(DiskVersions.CLUSTER, size).finish()), Optional.of(VM), 0, 1,
                DiskVersions.CAPTURED);
        ByteArrayOutputStream delta = new ByteArrayOutputStream();
        new DeltaWriter(delta, h).finish(0);
        assertThatThrownBy(() -> agent.client().sendDelta(VM,
                HttpRequest.BodyPublishers.ofByteArray(delta.toByteArray())))
                .isInstanceOf(AgentException.class)
                .satisfies(e -> assertThat(((AgentException) e).status()).isEqualTo(400))
                .hasMessageContaining("newSize: " + size + " bytes");
        assertThat(stored(data)).isEmpty();
        assertTheNextSeedIsTaken(data, new DiskVersions(tmp.resolve("primary"), VM, 2));
    }

    @Test
    void aFirstSeedCutShortByAKilledAgentLeavesNothingAfterTheRestart() throws Exception {
        Path data = tmp.resolve("data");
        agent = start(data);
        agent.secondaryOf(VM);
        DiskVersions disk = new DiskVersions(tmp.resolve("primary"), VM, 2);
        byte[] delta = disk.delta(0, 2);
        PipedDelta sending = PipedDelta.start(agent.client(), VM);
        sending.write(delta, 0, delta.length / 2);
        assertThat(PipedDelta.awaitReceiving(data.resolve("replicas"))).as("the seed is being received").isTrue();
        assertThat(stored(data)).as("in a directory of its own").anyMatch(f -> f.contains(".partial/"));
        agent.close();
        agent = null;
        sending.close();
        assertThat(sending.outcome()).isInstanceOf(IOException.class);

        agent = start(data);
        assertThat(stored(data)).isEmpty();
        assertThat(agent.client().replicas()).isEmpty();
        assertTheNextSeedIsTaken(data, disk);
    }
}
