package io.understudy.nova.keystone;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsParameters;
import com.sun.net.httpserver.HttpsServer;
import io.understudy.agent.api.Tls;
import io.understudy.nova.cloud.CloudConfig;
import io.understudy.nova.cloud.CloudConfig.DomainRef;
import io.understudy.nova.cloud.CloudConfig.EndpointInterface;
import io.understudy.nova.cloud.CloudConfig.NameOrId;
import io.understudy.nova.cloud.CloudConfig.Password;
import io.understudy.nova.testing.LogLines;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Logging in over TLS to a Keystone stand-in whose certificate comes from a CA made for the test
 * (devstack/tls/cluster-tls.sh: certificates for localhost and 127.0.0.1), as clouds.yaml's
 * {@code cacert}, {@code verify} and {@code cert}/{@code key} ask.
 */
class CloudTlsTest {

    @TempDir
    static Path tls;

    private static byte[] token;

    @RegisterExtension
    final LogLines logged = new LogLines(CloudTls.class);
    private HttpsServer keystone;

    @BeforeAll
    static void makeCas() throws IOException, InterruptedException {
        makeCa(tls.resolve("ours"), "keystone", "controller");
        makeCa(tls.resolve("theirs"), "controller");
        try (InputStream in = CloudTlsTest.class.getResourceAsStream("token.json")) {
            token = in.readAllBytes();
        }
    }

    private static void makeCa(Path dir, String... names) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of("bash", "../devstack/tls/cluster-tls.sh", dir.toString()));
        command.addAll(List.of(names));
        Process make = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(make.getInputStream().readAllBytes());
        assertThat(make.waitFor()).as(output).isZero();
    }

    @AfterEach
    void stop() {
        if (keystone != null) {
            keystone.stop(0);
        }
    }

    @Test
    void trustsTheCaFile() throws IOException {
        URI url = serve("127.0.0.1", false);

        assertThat(login(url, tls(Optional.of(ours("ca.crt")), true, Optional.empty(), Optional.empty())).token())
                .isEqualTo("gAAAAAB-tls");
        assertThat(logged.lines()).isEmpty();
    }

    @Test
    void refusesACertificateOfAnotherCaOrForAnotherHost() throws IOException {
        URI url = serve("127.0.0.1", false);

        assertThatThrownBy(() -> login(url, tls(Optional.empty(), true, Optional.empty(), Optional.empty())))
                .as("the JVM's trust store does not know the cloud's CA")
                .isInstanceOf(KeystoneException.class).hasMessageContaining("PKIX path");
        assertThatThrownBy(() -> login(url, tls(Optional.of(theirs("ca.crt")), true, Optional.empty(), Optional.empty())))
                .isInstanceOf(KeystoneException.class).hasMessageContaining("PKIX path");
        keystone.stop(0);
        URI elsewhere = serve("127.0.0.2", false);
        assertThatThrownBy(() -> login(elsewhere, tls(Optional.of(ours("ca.crt")), true, Optional.empty(), Optional.empty())))
                .as("the certificate names localhost and 127.0.0.1 only")
                .isInstanceOf(KeystoneException.class).hasMessageContaining("127.0.0.2");
    }

    @Test
    void trustsAnythingWhenNotVerifyingAndSaysSo() throws IOException {
        URI elsewhere = serve("127.0.0.2", false);

        assertThat(login(elsewhere, tls(Optional.empty(), false, Optional.empty(), Optional.empty())).token())
                .isEqualTo("gAAAAAB-tls");
        assertThat(logged.lines()).containsExactly(
                "WARN test cloud: Keystone's and Nova's certificates are not verified (verify: false or insecure): "
                        + "anyone on the way can read the credentials and tokens");
    }

    @Test
    void presentsTheClientCertificateWhenKeystoneAsksForOne() throws IOException {
        URI url = serve("127.0.0.1", true);
        Optional<Path> ca = Optional.of(ours("ca.crt"));

        assertThat(login(url, tls(ca, true, Optional.of(ours("controller.crt")), Optional.of(ours("controller.key"))))
                .token()).isEqualTo("gAAAAAB-tls");
        Path both = tls.resolve("controller-with-key.pem");
        Files.writeString(both, Files.readString(ours("controller.crt")) + Files.readString(ours("controller.key")));
        assertThat(login(url, tls(ca, true, Optional.of(both), Optional.empty())).token())
                .as("the key in the certificate's file").isEqualTo("gAAAAAB-tls");
        assertThatThrownBy(() -> login(url, tls(ca, true, Optional.empty(), Optional.empty())))
                .isInstanceOf(KeystoneException.class);
        assertThatThrownBy(() -> login(url, tls(ca, true, Optional.of(theirs("controller.crt")),
                Optional.of(theirs("controller.key"))))).isInstanceOf(KeystoneException.class);
    }

    @Test
    void anUnusableCaFileStopsTheStartNamingIt() throws IOException {
        Path notPem = Files.writeString(tls.resolve("not-a-ca.pem"), "not a certificate");

        assertThatThrownBy(() -> CloudTls.context(cloud(URI.create("https://127.0.0.1:5000"),
                tls(Optional.of(notPem), true, Optional.empty(), Optional.empty()))))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("test cloud: ")
                .hasMessageContaining(notPem.toString());
    }

    private static Path ours(String file) {
        return tls.resolve("ours").resolve(file);
    }

    private static Path theirs(String file) {
        return tls.resolve("theirs").resolve(file);
    }

    /** Keystone's token answer over HTTPS on ADDRESS, with the certificate for localhost and 127.0.0.1. */
    private URI serve(String address, boolean needClientCertificate) throws IOException {
        SSLContext context = Tls.context(ours("keystone.crt"), ours("keystone.key"), ours("ca.crt"));
        keystone = HttpsServer.create(new InetSocketAddress(address, 0), 0);
        keystone.setHttpsConfigurator(new HttpsConfigurator(context) {
            @Override
            public void configure(HttpsParameters params) {
                SSLParameters parameters = context.getDefaultSSLParameters();
                parameters.setNeedClientAuth(needClientCertificate);
                params.setSSLParameters(parameters);
            }
        });
        keystone.createContext("/v3/auth/tokens", exchange -> {
            exchange.getRequestBody().readAllBytes();
            exchange.getResponseHeaders().add("Content-Type", "application/json");
            exchange.getResponseHeaders().add("X-Subject-Token", "gAAAAAB-tls");
            exchange.sendResponseHeaders(201, token.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(token);
            }
        });
        keystone.start();
        return URI.create("https://" + address + ":" + keystone.getAddress().getPort());
    }

    private static CloudConfig.Tls tls(Optional<Path> ca, boolean verify, Optional<Path> cert, Optional<Path> key) {
        return new CloudConfig.Tls(ca, verify, cert, key);
    }

    private static CloudConfig cloud(URI url, CloudConfig.Tls tls) {
        return new CloudConfig("test cloud", url, new Password(NameOrId.byName("admin", DomainRef.byName("Default")),
                "pw", NameOrId.byName("admin", DomainRef.byName("Default"))), tls, Optional.empty(),
                EndpointInterface.PUBLIC);
    }

    private static ComputeSession login(URI url, CloudConfig.Tls tls) {
        CloudConfig cloud = cloud(url, tls);
        HttpClient http = HttpClient.newBuilder().sslContext(CloudTls.context(cloud)).build();
        return new KeystoneLogin(cloud, http, Duration.ofSeconds(10)).login();
    }
}
