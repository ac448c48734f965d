package io.understudy.agent.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.understudy.agent.api.AgentClient;
import io.understudy.agent.api.AgentException;
import io.understudy.agent.api.BaseImage;
import io.understudy.agent.api.DeltaReceipt;
import io.understudy.agent.api.Peer;
import io.understudy.agent.api.Protection;
import io.understudy.agent.api.ReplicaInfo;
import io.understudy.agent.api.Role;
import io.understudy.agent.api.StageResult;
import io.understudy.agent.api.Tls;
import io.understudy.agent.cli.Main;
import io.understudy.agent.delta.DeltaHeader;
import io.understudy.agent.delta.DeltaWriter;
import io.understudy.agent.delta.Differ;
import io.understudy.agent.delta.Manifest;
import io.understudy.agent.qcow2.BackingChain;
import io.understudy.agent.testing.Cli;
import io.understudy.agent.testing.DiskVersions;
import io.understudy.agent.testing.LogCapture;
import io.understudy.agent.testing.Qemu;
import io.understudy.agent.testing.TestAgent;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The agent daemon wired as {@code serve} wires it (libvirt's test driver stands in for the
 * hypervisor), driven over HTTP: authentication, receiving deltas, staging, refusals.
 */
class AgentServerIT {

    private static final UUID VM = UUID.fromString("5b0e6f5c-2d3a-4f1e-8c7b-9a0d1e2f3a4b");
    private static final String TOKEN = "a-cluster-token-of-enough-length";

    @TempDir
    Path tmp;

    private TestAgent agent;

    @AfterEach
    void stop() throws IOException {
        if (agent != null) {
            agent.close();
        }
    }

    private URI start(String auth) throws IOException {
        Files.writeString(tmp.resolve("token"), TOKEN + "\n");
        agent = TestAgent.start("compute2", tmp.resolve("data"), tmp.resolve("instances"), "test:///default",
                tmp.resolve("token"), 0, auth);
        return agent.url();
    }

    private URI startWithToken() throws IOException {
        return start(null);
    }

    private static AgentClient client(URI uri, String token) {
        return new AgentClient(uri, token, null, Duration.ofSeconds(10));
    }

    private void protectAsSecondary(AgentClient client) throws IOException {
        protectAsSecondary(client, VM);
    }

    private static void protectAsSecondary(AgentClient client, UUID vm) throws IOException {
        client.protect(new Protection(vm, Role.SECONDARY,
                List.of(new Peer("compute1", URI.create("http://127.0.0.1:1/"))), Duration.ofSeconds(30)));
    }

    @Test
    void healthAndHostStatsAnswerWithTheToken() throws IOException {
        AgentClient client = client(startWithToken(), TOKEN);
        assertThat(client.health().host()).isEqualTo("compute2");
        assertThat(client.health().libvirtReachable()).isTrue();
        var stats = client.hostStats();
        assertThat(stats.host()).isEqualTo("compute2");
        assertThat(stats.memoryTotalBytes()).isPositive();
        assertThat(stats.diskTotalBytes()).isPositive();
    }

    @Test
    void requestsWithoutTheTokenGet401() throws Exception {
        URI uri = startWithToken();
        assertThatThrownBy(() -> client(uri, null).health()).isInstanceOf(AgentException.class)
                .satisfies(e -> assertThat(((AgentException) e).status()).isEqualTo(401));
        assertThatThrownBy(() -> client(uri, TOKEN + "x").replicas())
                .satisfies(e -> assertThat(((AgentException) e).status()).isEqualTo(401));
        HttpResponse<String> metrics = HttpClient.newHttpClient().send(
                HttpRequest.newBuilder(uri.resolve("/metrics")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(metrics.statusCode()).isEqualTo(401);
    }

    @Test
    void aStoredProtectionWithAPeerNowRefusedIsSetAsideAndTheAgentStarts() throws IOException {
        // Stored by an agent before peer URLs were checked.
        Path stored = Files.createDirectories(tmp.resolve("data/protection")).resolve(VM + ".json");
        Files.writeString(stored, "{\"vm\":\"" + VM + "\",\"role\":\"SECONDARY\",\"peers\":[{\"host\":\"compute1\","
                + "\"url\":\"file:///etc/passwd\"}],\"interval\":\"PT30S\"}");
        AgentClient client = client(startWithToken(), TOKEN);
        assertThat(client.health().host()).isEqualTo("compute2");
        assertThatThrownBy(() -> client.protection(VM))
                .satisfies(e -> assertThat(((AgentException) e).status()).isEqualTo(404));
        assertThat(stored).doesNotExist();
        assertThat(stored.resolveSibling(VM + ".json.refused")).exists();
        // The controller's next assignment is taken as usual.
        protectAsSecondary(client);
        assertThat(client.protection(VM).role()).isEqualTo(Role.SECONDARY);
    }

    @Test
    void aReplicaFollowsDeltasSentOverHttp() throws IOException {
        AgentClient client = client(startWithToken(), TOKEN);
        protectAsSecondary(client);
        DiskVersions disk = new DiskVersions(tmp.resolve("primary"), VM, 3);
        for (int v = 1; v <= 3; v++) {
            DeltaReceipt receipt = client.sendDelta(VM, HttpRequest.BodyPublishers.ofByteArray(disk.delta(v - 1, v)));
            assertThat(receipt.applied()).isTrue();
            assertThat(receipt.version()).isEqualTo(v);
        }
        // A replay is answered, and changes nothing.
        DeltaReceipt replay = client.sendDelta(VM, HttpRequest.BodyPublishers.ofByteArray(disk.delta(2, 3)));
        assertThat(replay.applied()).isFalse();
        // A delta from another version: 409, nothing changes.
        assertThatThrownBy(() -> client.sendDelta(VM, HttpRequest.BodyPublishers.ofByteArray(disk.delta(1, 2))))
                .satisfies(e -> assertThat(((AgentException) e).status()).isEqualTo(409));
        ReplicaInfo info = client.replica(VM);
        assertThat(info.version()).isEqualTo(3);
        assertThat(info.primary()).isEqualTo("compute1");
        assertThat(client.replicas()).extracting(ReplicaInfo::vm).containsExactly(VM);

        StageResult staged = client.stage(VM);
        assertThat(staged.version()).isEqualTo(3);
        assertThat(Qemu.identical(Path.of(staged.disk()), disk.version(3))).isTrue();
        assertThat(Path.of(staged.disk())).isEqualTo(tmp.resolve("instances").resolve(VM.toString()).resolve("disk"));
    }

    @Test
    void aReplicaStartsFromTheBaseImageHeldHereAndTakesOnlyWhatTheVmWroteAboveIt() throws IOException {
        AgentClient client = client(startWithToken(), TOKEN);
        // Nova's image cache: a raw image named by the hash of its image id, and an instance disk over it.
        Path image = Files.createDirectories(tmp.resolve("instances/_base")).resolve("5f3d1c0e9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d");
        Qemu.img("create", "-q", "-f", "raw", image.toString(), "24M");
        Qemu.ioAs("raw", image, "write -P 0x61 1M 6M", "write -P 0x62 20M 1M");
        Path disk = Files.createDirectories(tmp.resolve("primary")).resolve("disk");
        Qemu.img("create", "-q", "-f", "qcow2", "-b", image.toString(), "-F", "raw", disk.toString(), "64M");
        Qemu.io(disk, "write -P 0x71 2M 1M", "write -z 20M 64k", "write -P 0x72 40M 2M");
        byte[] manifest;
        try (BackingChain chain = BackingChain.open(image)) {
            manifest = Manifest.of(chain, DiskVersions.CLUSTER);
        }
        BaseImage base = new BaseImage(image.getFileName().toString(), DiskVersions.CLUSTER,
                HexFormat.of().formatHex(manifest));

        assertThatThrownBy(() -> client.startFromBase(VM, base)).hasMessageContaining("not a secondary")
                .satisfies(e -> assertThat(((AgentException) e).status()).isEqualTo(409));
        protectAsSecondary(client);
        assertThatThrownBy(() -> client.startFromBase(VM, new BaseImage("../../etc/passwd", DiskVersions.CLUSTER,
                base.manifest()))).hasMessageContaining("is not a file name")
                .satisfies(e -> assertThat(((AgentException) e).status()).isEqualTo(400));
        assertThatThrownBy(() -> client.startFromBase(VM, new BaseImage("0123abcd", DiskVersions.CLUSTER,
                base.manifest()))).hasMessageContaining("no base image 0123abcd in " + image.getParent())
                .satisfies(e -> assertThat(((AgentException) e).status()).isEqualTo(404));
        // Another image under the same name: refused, and nothing is left of the copy.
        assertThatThrownBy(() -> client.startFromBase(VM, new BaseImage(base.image(), DiskVersions.CLUSTER,
                "ab".repeat(32)))).hasMessageContaining("differs from the primary's")
                .satisfies(e -> assertThat(((AgentException) e).status()).isEqualTo(409));
        assertThat(client.replicas()).isEmpty();
        assertThat(tmp.resolve("data/replicas")).isEmptyDirectory();

        ReplicaInfo started = client.startFromBase(VM, base);
        assertThat(started.version()).isZero();
        assertThat(started.manifest()).isEqualTo(base.manifest());
        assertThat(client.startFromBase(VM, base)).isEqualTo(started);
        Path bottom = tmp.resolve("data/replicas").resolve(VM.toString()).resolve("base.qcow2");
        assertThat(Qemu.identical(bottom, image)).as("version 0 holds the image").isTrue();
        assertThat(Qemu.check(bottom).path("corruptions").asLong(0)).isZero();

        // The primary's first delta goes from the image: only what the VM wrote above it travels.
        byte[] first;
        try (BackingChain old = BackingChain.open(image); BackingChain neu = BackingChain.open(disk)) {
            DeltaHeader h = new DeltaHeader(DiskVersions.CLUSTER, neu.virtualSize(), old.virtualSize(), false,
                    Optional.of(manifest), Optional.of(VM), 0, 1, DiskVersions.CAPTURED);
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            Differ.diff(old, neu, new DeltaWriter(out, h));
            first = out.toByteArray();
        }
        DeltaReceipt receipt = client.sendDelta(VM, HttpRequest.BodyPublishers.ofByteArray(first));
        assertThat(receipt.version()).isEqualTo(1);
        assertThat(receipt.payloadBytes()).isEqualTo(3L << 20);
        assertThatThrownBy(() -> client.startFromBase(VM, base)).hasMessageContaining("holds version 1")
                .satisfies(e -> assertThat(((AgentException) e).status()).isEqualTo(409));
        StageResult staged = client.stage(VM);
        assertThat(Qemu.identical(Path.of(staged.disk()), disk)).as("the staged replica is the disk").isTrue();

        // Another VM from the same image, after Nova's cache cleanup took the image away: the bottom
        // kept for the first one is linked, not copied.
        Files.delete(image);
        UUID second = UUID.randomUUID();
        protectAsSecondary(client, second);
        assertThat(client.startFromBase(second, base).manifest()).isEqualTo(base.manifest());
        Path replicas = tmp.resolve("data/replicas");
        assertThat(Files.isSameFile(replicas.resolve(second.toString()).resolve("base.qcow2"), bottom)).isTrue();
        UUID third = UUID.randomUUID();
        protectAsSecondary(client, third);
        assertThatThrownBy(() -> client.startFromBase(third, new BaseImage(base.image(), DiskVersions.CLUSTER,
                "cd".repeat(32)))).satisfies(e -> assertThat(((AgentException) e).status()).isEqualTo(404));
        // Once nothing links it (no replica, no staged disk), the kept bottom goes too.
        try (var staging = Files.list(Path.of(staged.disk()).getParent())) {
            for (Path f : staging.toList()) {
                Files.delete(f);
            }
        }
        for (UUID vm : List.of(VM, second)) {
            client.unprotect(vm);
            client.deleteReplica(vm);
        }
        assertThat(replicas.resolve("bases")).isEmptyDirectory();
    }

    @Test
    void aTamperedOrForeignDeltaIsRefusedAndNothingChanges() throws IOException {
        AgentClient client = client(startWithToken(), TOKEN);
        DiskVersions disk = new DiskVersions(tmp.resolve("primary"), VM, 2);
        // Not assigned here yet.
        assertThatThrownBy(() -> client.sendDelta(VM, HttpRequest.BodyPublishers.ofByteArray(disk.delta(0, 1))))
                .satisfies(e -> assertThat(((AgentException) e).status()).isEqualTo(409))
                .hasMessageContaining("not a secondary");
        protectAsSecondary(client);
        client.sendDelta(VM, HttpRequest.BodyPublishers.ofByteArray(disk.delta(0, 1)));
        byte[] tampered = disk.delta(1, 2);
        tampered[tampered.length / 2] ^= 1;
        assertThatThrownBy(() -> client.sendDelta(VM, HttpRequest.BodyPublishers.ofByteArray(tampered)))
                .satisfies(e -> assertThat(((AgentException) e).status()).isEqualTo(400))
                .hasMessageContaining("damaged");
        byte[] truncated = java.util.Arrays.copyOf(disk.delta(1, 2), 5000);
        assertThatThrownBy(() -> client.sendDelta(VM, HttpRequest.BodyPublishers.ofByteArray(truncated)))
                .satisfies(e -> assertThat(((AgentException) e).status()).isEqualTo(400))
                .hasMessageContaining("truncated");
        assertThat(client.replica(VM).version()).isEqualTo(1);
        try (var files = Files.list(tmp.resolve("data/replicas").resolve(VM.toString()))) {
            assertThat(files.map(p -> p.getFileName().toString()).toList())
                    .containsExactlyInAnyOrder("state.json", "0000000001.qcow2", "manifest-0000000001.bin");
        }
    }

    @Test
    void pathsAndBodiesAreChecked() throws Exception {
        URI uri = startWithToken();
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        for (String bad : List.of("../../etc", "not-a-uuid", "5B0E6F5C-2D3A-4F1E-8C7B-9A0D1E2F3A4B0")) {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(uri.resolve("/v1/replicas/" + bad))
                    .header("Authorization", "Bearer " + TOKEN).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).as(bad).isIn(400, 404);
            assertThat(r.body()).doesNotContain("Exception");
        }
        HttpResponse<String> big = http.send(HttpRequest.newBuilder(uri.resolve("/v1/vms/" + VM + "/protection"))
                .header("Authorization", "Bearer " + TOKEN).header("Content-Type", "application/json")
                .PUT(HttpRequest.BodyPublishers.ofString("{\"vm\":\"" + VM + "\",\"x\":\"" + "y".repeat(100_000) + "\"}"))
                .build(), HttpResponse.BodyHandlers.ofString());
        assertThat(big.statusCode()).isEqualTo(413);
        HttpResponse<String> mismatch = http.send(HttpRequest.newBuilder(uri.resolve("/v1/vms/" + VM + "/protection"))
                .header("Authorization", "Bearer " + TOKEN).header("Content-Type", "application/json")
                .PUT(HttpRequest.BodyPublishers.ofString("{\"vm\":\"" + UUID.randomUUID()
                        + "\",\"role\":\"SECONDARY\",\"peers\":[{\"host\":\"c1\",\"url\":\"http://x/\"}]}"))
                .build(), HttpResponse.BodyHandlers.ofString());
        assertThat(mismatch.statusCode()).isEqualTo(400);
        assertThat(mismatch.body()).contains("the body is for");
    }

    @Test
    void metricsShowEachReplicasLagAndVersion() throws Exception {
        URI uri = startWithToken();
        AgentClient client = client(uri, TOKEN);
        protectAsSecondary(client);
        DiskVersions disk = new DiskVersions(tmp.resolve("primary"), VM, 1);
        client.sendDelta(VM, HttpRequest.BodyPublishers.ofByteArray(disk.delta(0, 1)));
        String text = HttpClient.newHttpClient().send(HttpRequest.newBuilder(uri.resolve("/metrics"))
                .header("Authorization", "Bearer " + TOKEN).build(), HttpResponse.BodyHandlers.ofString()).body();
        assertThat(text).contains("understudy_replica_version{vm=\"" + VM + "\"} 1.0")
                .contains("understudy_replica_lag_seconds{vm=\"" + VM + "\"}")
                .contains("understudy_deltas_received_total{result=\"applied\"} 1.0")
                .containsPattern("(?m)^understudy_delta_payload_received_bytes_total [1-9]")
                .doesNotContain("unit=");
    }

    /** The node's agent.yaml, as the agent started here runs with it: what an operator's status reads. */
    private Path nodeConfig() throws IOException {
        return Files.writeString(tmp.resolve("agent.yaml"), """
                host: compute2
                listen: 0.0.0.0:%d
                dataDir: %s
                instancesPath: %s
                libvirt: {uri: "test:///default"}
                auth: {mode: token, tokenFile: %s}
                """.formatted(agent.port(), tmp.resolve("data"), tmp.resolve("instances"), tmp.resolve("token")));
    }

    @Test
    void statusShowsTheReplicasThisNodeHoldsReadWithItsOwnToken() throws Exception {
        AgentClient client = client(startWithToken(), TOKEN);
        protectAsSecondary(client);
        client.sendDelta(VM, HttpRequest.BodyPublishers.ofByteArray(
                new DiskVersions(tmp.resolve("primary"), VM, 1).delta(0, 1)));
        Path config = nodeConfig();

        Cli.Result table = Cli.run("status", "--config", config.toString());

        assertThat(table.exit()).as(table.err()).isZero();
        assertThat(table.out()).startsWith("agent compute2 at http://127.0.0.1:" + agent.port() + "/: up ")
                .contains("libvirt reachable", "VMs this node is primary for: none", "Replicas held:")
                .containsPattern("(?m)^" + VM + "  compute1 +1 ");

        Cli.Result json = Cli.run("status", "--config", config.toString(), "--json");
        assertThat(json.exit()).isZero();
        assertThat(json.out()).startsWith("{\"health\":{\"host\":\"compute2\"").contains("\"vms\":[]")
                .contains("\"vm\":\"" + VM + "\",\"version\":1");
    }

    @Test
    void statusOfAnAgentThatRefusesTheTokenOrDoesNotAnswerIsExit4InOneLine() throws Exception {
        startWithToken();
        Path config = nodeConfig();
        Files.writeString(tmp.resolve("token"), "another-token-of-enough-length\n");

        Cli.Result refused = Cli.run("status", "--config", config.toString());

        assertThat(refused.exit()).isEqualTo(Main.EXIT_UNAVAILABLE);
        assertThat(refused.err()).startsWith("understudy-agent: the agent of compute2 at http://127.0.0.1:"
                + agent.port() + "/: ").contains("401").hasLineCount(1);

        agent.close();
        agent = null;
        Cli.Result silent = Cli.run("status", "--config", config.toString());

        assertThat(silent.exit()).isEqualTo(Main.EXIT_UNAVAILABLE);
        assertThat(silent.err()).startsWith("understudy-agent: the agent of compute2 at ").hasLineCount(1);
    }

    @Test
    void mutualTlsAdmitsOnlyCertificatesFromTheClusterCa() throws Exception {
        Path script = Path.of(System.getProperty("understudy.repo", "../..")).resolve("devstack/tls/cluster-tls.sh");
        Path tls = tmp.resolve("tls");
        Qemu.ok("bash", script.toString(), tls.toString(), "compute2", "controller");
        Path other = tmp.resolve("other-ca");
        Qemu.ok("bash", script.toString(), other.toString(), "controller");
        try (LogCapture log = new LogCapture()) {
            URI uri = start("mode: mtls\ntls:\n  certificate: " + tls.resolve("compute2.crt") + "\n  key: "
                    + tls.resolve("compute2.key") + "\n  ca: " + tls.resolve("ca.crt"));
            AgentClient controller = new AgentClient(uri, null, Tls.context(tls.resolve("controller.crt"),
                    tls.resolve("controller.key"), tls.resolve("ca.crt")), Duration.ofSeconds(10));
            assertThat(controller.health().host()).isEqualTo("compute2");
            // Deltas go to the peers: with mutual TLS, never over plain HTTP.
            assertThatThrownBy(() -> protectAsSecondary(controller)).hasMessageContaining("peer compute1")
                    .hasMessageContaining("is not https://")
                    .satisfies(e -> assertThat(((AgentException) e).status()).isEqualTo(400));
            Protection before = new Protection(VM, Role.SECONDARY,
                    List.of(new Peer("compute1", URI.create("https://127.0.0.1:1"))), Duration.ofSeconds(30));
            controller.protect(before);

            // Both strangers trust the cluster CA, so only the agent can be the one refusing.
            AgentClient anonymous = new AgentClient(uri, null, trusting(tls.resolve("ca.crt")), Duration.ofSeconds(10));
            AgentClient foreign = new AgentClient(uri, null, Tls.context(other.resolve("controller.crt"),
                    other.resolve("controller.key"), tls.resolve("ca.crt")), Duration.ofSeconds(10));
            for (AgentClient stranger : List.of(anonymous, foreign)) {
                assertThatThrownBy(stranger::health).isInstanceOf(IOException.class)
                        .isNotInstanceOf(AgentException.class);
                assertThatThrownBy(() -> stranger.unprotect(VM)).isInstanceOf(IOException.class)
                        .isNotInstanceOf(AgentException.class);
                assertThatThrownBy(() -> stranger.protect(new Protection(VM, Role.PRIMARY, List.of(new Peer("evil",
                        URI.create("https://127.0.0.1:2/"))), Duration.ofSeconds(1)))).isInstanceOf(IOException.class)
                        .isNotInstanceOf(AgentException.class);
            }
            assertThat(controller.protection(VM)).isEqualTo(before);
            assertThat(log.lines()).filteredOn(l -> l.startsWith("WARN AgentServer: refused a TLS handshake from 127.0.0.1:"))
                    .as("each refused handshake is logged").hasSizeGreaterThanOrEqualTo(6)
                    .anySatisfy(l -> assertThat(l).contains("no client certificate"))
                    .anySatisfy(l -> assertThat(l).contains("not accepted by the cluster CA"));
            assertThat(log.lines()).contains("WARN ErrorMapper: request refused (400): peer compute1: url "
                    + "'http://127.0.0.1:1/' is not https://, and this agent uses mutual TLS");
            assertThat(log.withStackTraces()).isEmpty();
        }
    }

    /** A client that checks the agent's certificate against {@code ca} and has none of its own. */
    private static SSLContext trusting(Path ca) throws Exception {
        KeyStore trust = KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        try (var in = Files.newInputStream(ca)) {
            trust.setCertificateEntry("ca", CertificateFactory.getInstance("X.509").generateCertificate(in));
        }
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        SSLContext context = SSLContext.getInstance("TLSv1.3");
        context.init(null, tmf.getTrustManagers(), null);
        return context;
    }

    @Test
    void theAgentFencerDestroysADomainAndConfirmsItStopped() throws IOException {
        AgentClient client = client(startWithToken(), TOKEN);
        // libvirt's test driver starts with one running domain, "test".
        UUID test = client.hostStats().domains().get(0).vm();
        var fenced = client.destroyDomain(test);
        assertThat(fenced.wasRunning()).isTrue();
        assertThat(fenced.stopped()).isTrue();
        assertThat(fenced.state()).isEqualTo("SHUTOFF");
        assertThat(fenced.host()).isEqualTo("compute2");
        // Again: nothing left to kill, still confirmed.
        assertThat(client.destroyDomain(test).wasRunning()).isFalse();
        // A VM this node never had is fenced by definition.
        assertThat(client.destroyDomain(UUID.randomUUID()).state()).isEqualTo("ABSENT");
    }
}
