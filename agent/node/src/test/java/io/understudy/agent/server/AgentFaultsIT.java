package io.understudy.agent.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.understudy.agent.api.AgentClient;
import io.understudy.agent.api.AgentException;
import io.understudy.agent.api.Peer;
import io.understudy.agent.api.Protection;
import io.understudy.agent.api.Role;
import io.understudy.agent.testing.DiskVersions;
import io.understudy.agent.testing.Qemu;
import io.understudy.agent.testing.TestAgent;
import java.io.IOException;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What goes wrong on a secondary while a delta arrives, each ending with the replica as it was
 * before, whole, and a clear answer: the agent killed in the middle of the stream, and its disk
 * filling up.
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
        Files.writeString(tmp.resolve("token"), TOKEN);
        return TestAgent.start("compute2", data, tmp.resolve("instances"), "test:///default", tmp.resolve("token"), 0,
                null);
    }

    private static void protect(AgentClient client) throws IOException {
        client.protect(new Protection(VM, Role.SECONDARY,
                List.of(new Peer("compute1", URI.create("http://127.0.0.1:1/"))), Duration.ofSeconds(30)));
    }

    private static List<String> files(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void aSecondaryKilledMidStreamKeepsItsVersionAndTakesTheDeltaAgain() throws Exception {
        Path data = tmp.resolve("data");
        agent = start(data);
        protect(agent.client());
        DiskVersions disk = new DiskVersions(tmp.resolve("primary"), VM, 2);
        agent.client().sendDelta(VM, HttpRequest.BodyPublishers.ofByteArray(disk.delta(0, 1)));
        Path replicaDir = data.resolve("replicas").resolve(VM.toString());
        List<String> committed = files(replicaDir);

        byte[] delta = disk.delta(1, 2);
        PipedInputStream body = new PipedInputStream(1 << 16);
        PipedOutputStream feed = new PipedOutputStream(body);
        AgentClient client = agent.client();
        CompletableFuture<Object> sending = CompletableFuture.supplyAsync(() -> {
            try {
                return client.sendDelta(VM, HttpRequest.BodyPublishers.ofInputStream(() -> body));
            } catch (IOException e) {
                return e;
            }
        });
        feed.write(delta, 0, delta.length / 2);
        feed.flush();
        // The secondary is receiving: its temporary layer exists. Now it dies.
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (files(replicaDir).stream().noneMatch(f -> f.contains(".partial")) && System.nanoTime() < deadline) {
            TimeUnit.MILLISECONDS.sleep(5);
        }
        assertThat(files(replicaDir)).anyMatch(f -> f.contains(".partial"));
        agent.close();
        feed.close();
        assertThat(sending.get(60, TimeUnit.SECONDS)).isInstanceOf(IOException.class);

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
        agent = start(mount.resolve("data"));
        protect(agent.client());
        DiskVersions disk = new DiskVersions(tmp.resolve("primary"), VM, 3);
        agent.client().sendDelta(VM, HttpRequest.BodyPublishers.ofByteArray(disk.delta(0, 1)));
        Path replicaDir = mount.resolve("data/replicas").resolve(VM.toString());
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
}
