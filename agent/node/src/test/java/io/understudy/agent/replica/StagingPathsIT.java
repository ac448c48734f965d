package io.understudy.agent.replica;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.understudy.agent.api.AgentException;
import io.understudy.agent.api.StageResult;
import io.understudy.agent.resources.ReplicaResource;
import io.understudy.agent.testing.DiskVersions;
import io.understudy.agent.testing.LogCapture;
import io.understudy.agent.testing.Qemu;
import io.understudy.agent.testing.TestAgent;
import java.io.IOException;
import java.net.http.HttpRequest;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The agent writes only where it means to: a symbolic link in the instances path or the replica
 * store is refused or ignored, staging leaves the replica's own files with their owner, and its
 * data directory is closed to others. Over HTTP against a real agent on a real file system.
 */
class StagingPathsIT {

    private static final UUID VM = UUID.fromString("8d9e0f1a-2b3c-4d4e-8f5a-6b7c8d9e0f1a");
    private static final String TOKEN = "staging-paths-it-cluster-token";
    /** {@code nobody}: an owner other than the agent's for the instances path. */
    private static final int OTHER_UID = 65534;

    @TempDir
    Path tmp;

    private TestAgent agent;
    private Path data;
    private Path instances;
    private DiskVersions disk;

    @BeforeEach
    void setUp() throws IOException {
        Files.writeString(tmp.resolve("token"), TOKEN);
        data = tmp.resolve("data");
        instances = tmp.resolve("instances");
        disk = new DiskVersions(tmp.resolve("primary"), VM, 1);
        start();
        agent.secondaryOf(VM);
        agent.client().sendDelta(VM, HttpRequest.BodyPublishers.ofByteArray(disk.delta(0, 1)));
    }

    @AfterEach
    void tearDown() throws IOException {
        if (agent != null) {
            agent.close();
        }
    }

    private void start() throws IOException {
        if (agent != null) {
            agent.close();
        }
        agent = TestAgent.start("compute2", data, instances, "test:///default", tmp.resolve("token"), 0, null);
    }

    private Path replicaDir() {
        return data.resolve("replicas").resolve(VM.toString());
    }

    /** Names, sizes and modification times of everything under {@code dir}. */
    private static List<String> snapshot(Path dir) throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            return s.map(p -> {
                try {
                    return dir.relativize(p) + " " + Files.size(p) + " " + Files.getLastModifiedTime(p);
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }).sorted().toList();
        }
    }

    private static int uid(Path p) throws IOException {
        return (int) Files.getAttribute(p, "unix:uid", LinkOption.NOFOLLOW_LINKS);
    }

    @Test
    void aSymbolicLinkAsTheInstanceDirectoryIsRefusedAndNothingIsWrittenThrough() throws IOException {
        Path elsewhere = Files.createDirectories(tmp.resolve("elsewhere"));
        Files.createSymbolicLink(instances.resolve(VM.toString()), elsewhere);
        try (LogCapture log = new LogCapture()) {
            for (boolean flatten : new boolean[] {false, true}) {
                assertThatThrownBy(() -> agent.client().stage(VM, flatten))
                        .isInstanceOf(AgentException.class)
                        .satisfies(e -> assertThat(((AgentException) e).status()).isEqualTo(409))
                        .hasMessageContaining(instances.resolve(VM.toString()) + " is a symbolic link");
            }
            assertThat(log.lines()).filteredOn(l -> l.startsWith("WARN ReplicaResource: replica " + VM + ": refused to stage"))
                    .hasSize(2);
        }
        assertThat(elsewhere).isEmptyDirectory();
        assertThat(Files.isSymbolicLink(instances.resolve(VM.toString()))).isTrue();
    }

    @Test
    void aSymbolicLinkInTheReplicaStoreIsIgnoredAndNothingOutsideIsReadOrWritten() throws IOException {
        agent.close();
        agent = null;
        Path outside = Files.createDirectories(tmp.resolve("outside"));
        Files.move(replicaDir(), outside.resolve(VM.toString()));
        Files.createSymbolicLink(replicaDir(), outside.resolve(VM.toString()));
        List<String> before = snapshot(outside);
        try (LogCapture log = new LogCapture()) {
            start();
            assertThat(log.lines()).anyMatch(l -> l.startsWith("WARN ReplicaStore: replica store: ignoring " + replicaDir())
                    && l.contains("symbolic link"));
        }
        assertThat(agent.client().replicas()).isEmpty();
        // A seed now makes the replica in the store, in place of the link.
        assertThat(agent.client().sendDelta(VM, HttpRequest.BodyPublishers.ofByteArray(disk.delta(0, 1))).version())
                .isEqualTo(1);
        assertThat(Files.isSymbolicLink(replicaDir())).isFalse();
        assertThat(replicaDir().resolve("0000000001.qcow2")).isRegularFile();
        assertThat(snapshot(outside)).isEqualTo(before);
    }

    @Test
    void stagingOwnsTheOverlayLikeNovaAndLeavesTheReplicasLayersAlone() throws IOException {
        assumeTrue("root".equals(System.getProperty("user.name")),
                "changing a file's owner needs root (CI runs as root; the agent does)");
        Files.setAttribute(instances, "unix:uid", OTHER_UID);
        Files.setAttribute(instances, "unix:gid", OTHER_UID);
        Path layer = replicaDir().resolve("0000000001.qcow2");
        int owner = uid(layer);

        StageResult staged = agent.client().stage(VM);
        Path instanceDir = instances.resolve(VM.toString());
        assertThat(Path.of(staged.disk())).isEqualTo(instanceDir.resolve("disk"));
        assertThat(uid(Path.of(staged.disk()))).as("the overlay the guest writes").isEqualTo(OTHER_UID);
        assertThat(uid(instanceDir)).as("the instance directory staging made").isEqualTo(OTHER_UID);
        Path link = instanceDir.resolve("0000000001.qcow2");
        assertThat(Files.isSameFile(link, layer)).as("the staged layer is the replica's, linked").isTrue();
        assertThat(uid(layer)).as("the replica's layer keeps its owner").isEqualTo(owner).isZero();
        assertThat(Qemu.identical(Path.of(staged.disk()), disk.version(1))).isTrue();
    }

    @Test
    void onlyTheAgentWritesInItsDataDirectory() throws IOException {
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(data))).isEqualTo("rwx--x--x");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(data.resolve("replicas"))))
                .isEqualTo("rwx------");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(data.resolve("scratch"))))
                .isEqualTo("rwx--x--x");
    }
}
