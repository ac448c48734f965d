package io.understudy.agent.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.understudy.agent.api.AgentClient;
import io.understudy.agent.api.AgentException;
import io.understudy.agent.api.BootImages;
import io.understudy.agent.api.Peer;
import io.understudy.agent.api.Protection;
import io.understudy.agent.api.Role;
import io.understudy.agent.api.StageResult;
import io.understudy.agent.testing.DiskVersions;
import io.understudy.agent.testing.Qemu;
import io.understudy.agent.testing.TestAgent;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A secondary keeps the kernel and ramdisk its primary sends and, on staging, lays out what Nova's
 * libvirt driver looks for before it boots an evacuated instance: the disk in the instance
 * directory, and the kernel and ramdisk in its image cache as {@code _base/SHA1(image id)}, the
 * names the single-machine cloud's Nova gave them. Real files, libvirt's test driver, no cloud.
 */
class BootFilesIT {

    private static final UUID VM = UUID.fromString("5b0e6f5c-2d3a-4f1e-8c7b-9a0d1e2f3a4b");
    private static final String TOKEN = "a-cluster-token-of-enough-length";
    private static final String KERNEL_ID = "9a187fff-d672-4ea7-87ce-3faaab979c6f";
    private static final String RAMDISK_ID = "7c6d3f73-bece-42c2-8a2d-9f4eea830f2e";
    private static final String KERNEL_NAME = "f17050c39343b3e7a878cdecb74ba61578b70ff8";
    private static final String RAMDISK_NAME = "dc6ae130ddd1f7e475a9ec05f57ad37716f0608c";

    @TempDir
    Path tmp;

    private TestAgent agent;
    private AgentClient client;
    private DiskVersions disk;

    @BeforeEach
    void secondaryHoldingAReplica() throws IOException {
        Files.writeString(tmp.resolve("token"), TOKEN + "\n");
        agent = TestAgent.start("compute2", tmp.resolve("data"), tmp.resolve("instances"), "test:///default",
                tmp.resolve("token"), 0, null);
        client = new AgentClient(agent.url(), TOKEN, null, Duration.ofSeconds(10));
        client.protect(new Protection(VM, Role.SECONDARY,
                List.of(new Peer("compute1", URI.create("http://127.0.0.1:1/"))), Duration.ofSeconds(30)));
        disk = new DiskVersions(tmp.resolve("primary"), VM, 2);
        client.sendDelta(VM, HttpRequest.BodyPublishers.ofByteArray(disk.delta(0, 1)));
        client.sendDelta(VM, HttpRequest.BodyPublishers.ofByteArray(disk.delta(1, 2)));
    }

    @AfterEach
    void stop() throws IOException {
        agent.close();
    }

    /** Sent as the primary sends it: a stream of unknown length (chunked). */
    private void keep(String kind, byte[] content) throws IOException {
        client.putBootFile(VM, kind, HttpRequest.BodyPublishers.ofInputStream(
                () -> new java.io.ByteArrayInputStream(content)));
    }

    @Test
    void aStageLaysOutTheDiskAndPutsTheKernelAndRamdiskWhereNovaLooks() throws IOException {
        byte[] kernel = "a kernel".repeat(1000).getBytes();
        byte[] ramdisk = "a ramdisk".repeat(100).getBytes();
        keep("kernel", kernel);
        keep("ramdisk", ramdisk);
        // Sent again (a rebuild onto another image): the newer one is kept.
        kernel = "another kernel".repeat(1000).getBytes();
        keep("kernel", kernel);

        StageResult staged = client.stage(VM, false, new BootImages(KERNEL_ID, RAMDISK_ID));

        Path instances = tmp.resolve("instances");
        assertThat(Path.of(staged.disk())).isEqualTo(instances.resolve(VM.toString()).resolve("disk"));
        assertThat(Qemu.identical(Path.of(staged.disk()), disk.version(2))).isTrue();
        assertThat(staged.bootFiles()).containsExactly(KERNEL_NAME, RAMDISK_NAME);
        Path cache = instances.resolve("_base");
        assertThat(Files.readAllBytes(cache.resolve(KERNEL_NAME))).isEqualTo(kernel);
        assertThat(Files.readAllBytes(cache.resolve(RAMDISK_NAME))).isEqualTo(ramdisk);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(cache.resolve(KERNEL_NAME))))
                .isEqualTo("rw-r--r--");
        assertThat(Files.getOwner(cache.resolve(KERNEL_NAME))).isEqualTo(Files.getOwner(cache));
        // Nothing else: no work file left.
        try (var files = Files.list(cache)) {
            assertThat(files.map(f -> f.getFileName().toString())).containsExactlyInAnyOrder(KERNEL_NAME,
                    RAMDISK_NAME);
        }
        // And Nova's copies in the instance directory, with disk.info saying they are raw: Nova's
        // boot copies and probes nothing.
        Path instance = instances.resolve(VM.toString());
        assertThat(Files.readAllBytes(instance.resolve("kernel"))).isEqualTo(kernel);
        assertThat(Files.readAllBytes(instance.resolve("ramdisk"))).isEqualTo(ramdisk);
        assertThat(Files.getOwner(instance.resolve("ramdisk"))).isEqualTo(Files.getOwner(instance));
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(instance.resolve("disk.info"))))
                .isEqualTo("rw-r--r--");
        assertThat(Files.readString(instance.resolve("disk.info"))).isEqualTo("{\"" + instance.resolve("kernel")
                + "\":\"raw\",\"" + instance.resolve("ramdisk") + "\":\"raw\"}\n");
        try (var files = Files.list(instance)) {
            assertThat(files.map(f -> f.getFileName().toString()).filter(n -> n.startsWith("."))).isEmpty();
        }
    }

    @Test
    void anInstanceDirectoryWithNovasDiskInfoGetsNoCopies() throws IOException {
        keep("kernel", "ours".getBytes());
        Path instance = Files.createDirectories(tmp.resolve("instances").resolve(VM.toString()));
        Files.writeString(instance.resolve("disk.info"), "{}\n");

        StageResult staged = client.stage(VM, false, new BootImages(KERNEL_ID, null));

        assertThat(staged.bootFiles()).containsExactly(KERNEL_NAME);
        assertThat(instance.resolve("kernel")).doesNotExist();
        assertThat(Files.readString(instance.resolve("disk.info"))).isEqualTo("{}\n");
    }

    @Test
    void whatNovaCachedAlreadyStaysAndAnOlderControllersStageStillWorks() throws Exception {
        keep("kernel", "ours".getBytes());
        Path cache = Files.createDirectories(tmp.resolve("instances/_base"));
        Files.writeString(cache.resolve(KERNEL_NAME), "Nova's own, from Glance");

        // An older controller: no body, no content type.
        HttpResponse<String> old = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                agent.url().resolve("/v1/replicas/" + VM + "/stage")).header("Authorization", "Bearer " + TOKEN)
                .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(old.statusCode()).isEqualTo(200);
        assertThat(Files.readString(cache.resolve(KERNEL_NAME))).isEqualTo("Nova's own, from Glance");
        try (var files = Files.list(cache)) {
            assertThat(files).hasSize(1);
        }
    }

    @Test
    void aCacheFolderThatIsALinkIsNotWrittenThroughAndTheStageGoesOn() throws IOException {
        keep("kernel", "ours".getBytes());
        Path elsewhere = Files.createDirectories(tmp.resolve("elsewhere"));
        Files.createSymbolicLink(Files.createDirectories(tmp.resolve("instances")).resolve("_base"), elsewhere);

        StageResult staged = client.stage(VM, false, new BootImages(KERNEL_ID, null));

        assertThat(Path.of(staged.disk())).exists();
        assertThat(staged.bootFiles()).isEmpty();
        try (var files = Files.list(elsewhere)) {
            assertThat(files).isEmpty();
        }
    }

    @Test
    void bootFilesAreTakenOnlyUnderTheirFixedNamesForAVmThisNodeIsASecondaryOf() throws IOException {
        assertThatThrownBy(() -> keep("disk", new byte[1])).isInstanceOf(AgentException.class)
                .satisfies(e -> assertThat(((AgentException) e).status()).isEqualTo(404));
        assertThatThrownBy(() -> client.putBootFile(UUID.randomUUID(), "kernel",
                HttpRequest.BodyPublishers.ofByteArray(new byte[1]))).isInstanceOf(AgentException.class)
                .satisfies(e -> assertThat(((AgentException) e).status()).isEqualTo(409));
        assertThatThrownBy(() -> client.stage(VM, false, new BootImages("../../../etc/passwd", null)))
                .isInstanceOf(AgentException.class)
                .satisfies(e -> assertThat(((AgentException) e).status()).isEqualTo(400));
        assertThat(tmp.resolve("instances").resolve(VM.toString())).doesNotExist();
    }

    @Test
    void deletingTheReplicaDropsItsBootFiles() throws IOException {
        keep("kernel", "ours".getBytes());
        Path kept = tmp.resolve("data/replicas/boot").resolve(VM.toString()).resolve("kernel");
        assertThat(kept).exists();
        client.unprotect(VM);
        client.deleteReplica(VM);
        assertThat(kept.getParent()).doesNotExist();
    }
}
