package io.understudy.agent.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.understudy.agent.config.AgentConfig.AuthMode;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every default and every key's mapping, pinned: a renamed key or a changed default fails here. */
class ConfigReaderTest {

    @TempDir
    Path dir;

    private Path file(String name) throws IOException {
        return Files.writeString(dir.resolve(name), "x");
    }

    @Test
    void defaults() throws IOException {
        Path tls = Files.createDirectories(dir.resolve("tls"));
        // The default TLS files live in /etc; point at readable ones to see every other default.
        AgentConfig c = ConfigReader.parse("""
                host: compute1
                auth:
                  tls:
                    certificate: %s
                    key: %s
                    ca: %s
                """.formatted(file("tls/agent.crt"), file("tls/agent.key"), file("tls/ca.crt")), "test");
        assertThat(c.host()).isEqualTo("compute1");
        assertThat(c.listen()).isEqualTo(new InetSocketAddress("0.0.0.0", 9797));
        assertThat(c.dataDir()).isEqualTo(Path.of("/var/lib/understudy/agent"));
        assertThat(c.instancesPath()).isEqualTo(Path.of("/var/lib/nova/instances"));
        assertThat(c.baseImagesPath()).isEqualTo(Path.of("/var/lib/nova/instances/_base"));
        assertThat(c.snapshotsPath()).isEqualTo(Path.of("/var/lib/nova/instances/snapshots"));
        assertThat(c.libvirtUri()).isEqualTo("qemu:///system");
        assertThat(c.libvirtReconnectMaxDelay()).isEqualTo(Duration.ofSeconds(10));
        assertThat(c.auth().mode()).isEqualTo(AuthMode.MTLS);
        assertThat(c.auth().tokenFile()).isEmpty();
        assertThat(c.replication().squashAbove()).isEqualTo(8);
        assertThat(c.replication().maxJsonBytes()).isEqualTo(64 * 1024);
        assertThat(c.replication().peerTimeout()).isEqualTo(Duration.ofSeconds(10));
        assertThat(c.replication().bodyTimeout()).isEqualTo(Duration.ofSeconds(30));
        assertThat(c.replication().maxDiskBytes()).isEqualTo(16L << 40);
        assertThat(ConfigReader.DEFAULT_TLS_DIR).isEqualTo(Path.of("/etc/understudy/tls"));
        assertThat(ConfigReader.DEFAULT_TOKEN_FILE).isEqualTo(Path.of("/etc/understudy/cluster.token"));
        assertThat(tls).exists();
    }

    @Test
    void everyKeyMaps() throws IOException {
        Path token = file("token");
        AgentConfig c = ConfigReader.parse("""
                host: compute-7.example
                listen: 10.0.0.7:7000
                dataDir: /srv/understudy
                instancesPath: /srv/nova/instances
                baseImagesPath: /srv/nova/image-cache
                snapshotsPath: /srv/nova/snapshots
                libvirt:
                  uri: qemu+tcp://127.0.0.1/system
                  reconnectMaxDelay: 30s
                auth:
                  mode: token
                  tokenFile: %s
                replication:
                  squashAbove: 12
                  maxJsonBytes: 128KiB
                  peerTimeout: 1500ms
                  bodyTimeout: 2m
                  maxDiskBytes: 2TiB
                """.formatted(token), "test");
        assertThat(c).isEqualTo(new AgentConfig("compute-7.example", new InetSocketAddress("10.0.0.7", 7000),
                Path.of("/srv/understudy"), Path.of("/srv/nova/instances"), Path.of("/srv/nova/image-cache"),
                Path.of("/srv/nova/snapshots"), "qemu+tcp://127.0.0.1/system", Duration.ofSeconds(30),
                new AgentConfig.Auth(AuthMode.TOKEN, Optional.of(token), Optional.empty()),
                new AgentConfig.Replication(12, 128 * 1024, Duration.ofMillis(1500), Duration.ofMinutes(2), 2L << 40)));
    }

    @Test
    void errorsNameTheKeyAndTheReason() throws IOException {
        String token = "auth:\n  mode: token\n  tokenFile: " + file("token") + "\n";
        assertRefused("auth: {mode: token, tokenFile: " + file("t2") + "}", "key host: is required");
        assertRefused("host: c1\nlisten: nowhere\n" + token, "key listen: 'nowhere' is not HOST:PORT");
        assertRefused("host: c1\ndataDir: relative/dir\n" + token, "key dataDir: 'relative/dir' must be an absolute path");
        assertRefused("host: c1\nauth:\n  mode: none\n", "key auth.mode: 'none' is not one of token, mtls");
        assertRefused("host: c1\nauth:\n  mode: token\n  tokenFile: /nonexistent/token\n",
                "key auth.tokenFile: /nonexistent/token does not exist");
        assertRefused("host: c1\nreplication:\n  squashAbove: 1\n" + token,
                "key replication.squashAbove: '1' is not a whole number in 2..1000");
        assertRefused("host: c1\nreplication:\n  peerTimeout: soon\n" + token,
                "key replication.peerTimeout: 'soon' is not a positive duration");
        assertRefused("host: c1\nreplication:\n  maxJsonBytes: 1TiB\n" + token, "key replication.maxJsonBytes");
        assertRefused("host: c1\nlibvirt:\n  reconnectMaxDelay: 100ms\n" + token,
                "key libvirt.reconnectMaxDelay: '100ms' is not between 500ms and 5m");
        assertRefused("host: c1\nlibvirt:\n  reconnectMaxDelay: 1h\n" + token, "key libvirt.reconnectMaxDelay: '1h'");
        assertRefused("host: c1\nreplication:\n  bodyTimeout: 0s\n" + token,
                "key replication.bodyTimeout: '0s' is not a positive duration");
        assertRefused("host: c1\nreplication:\n  maxDiskBytes: 2048TiB\n" + token,
                "key replication.maxDiskBytes: '2048TiB' is not a size between 1 MiB and 1 PiB");
        assertRefused("host: c1\nreplication:\n  maxDiskBytes: 999999999999999TiB\n" + token,
                "key replication.maxDiskBytes: '999999999999999TiB' is not a size");
        assertRefused("host: c1\nlistne: 0.0.0.0:1\n" + token, "key listne: is not a configuration key");
        assertRefused("host: c1\nauth:\n  tls:\n    cert: x\n", "key auth.tls.cert: is not a configuration key");
        assertRefused("host: [c1\n", "not valid YAML");
        assertRefused("- a\n- b\n", "must be a mapping");
    }

    private static void assertRefused(String yaml, String message) {
        assertThatThrownBy(() -> ConfigReader.parse(yaml, "agent.yaml")).isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("agent.yaml: ").hasMessageContaining(message)
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
    }

    @Test
    void aMissingFileIsNamed() {
        assertThatThrownBy(() -> ConfigReader.read(dir.resolve("nope.yaml"))).isInstanceOf(ConfigException.class)
                .hasMessage(dir.resolve("nope.yaml") + ": no such file");
    }
}
