package io.understudy.scheduler.bmc;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.understudy.scheduler.bmc.PowerReading.Power;
import io.understudy.scheduler.config.FenceConfig;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import javax.net.ssl.TrustManagerFactory;

/**
 * One host's BMC, one Redfish ComputerSystem on it: its PowerState, and a ForceOff. HTTPS with
 * the BMC's own CA and HTTP basic auth. Every call is bounded by the caller's timeout, the
 * connection included: a BMC that does not answer is reported, never waited for.
 */
public final class Bmc {

    private static final String RESET = "/Actions/ComputerSystem.Reset";

    private final URI system;
    private final String authorization;
    private final HttpClient http;
    private final ObjectMapper json = new ObjectMapper();

    /**
     * @param system the ComputerSystem's URL, {@code https://BMC/redfish/v1/Systems/ID}
     * @param ssl trusts the BMC's certificate
     */
    public Bmc(URI system, String user, String password, SSLContext ssl) {
        this.system = requireNonNull(system, "system is null");
        this.authorization = "Basic " + Base64.getEncoder().encodeToString((requireNonNull(user, "user is null") + ":"
                + requireNonNull(password, "password is null")).getBytes(StandardCharsets.UTF_8));
        this.http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .sslContext(requireNonNull(ssl, "ssl is null")).build();
    }

    /**
     * The BMC of a {@code redfish} fence: reads its credentials and CA files now.
     *
     * @throws IllegalArgumentException naming the file and what is wrong with it
     */
    public static Bmc of(FenceConfig.Redfish config) {
        String line = firstLine(config.credentials());
        int colon = line.indexOf(':');
        if (colon <= 0) {
            throw new IllegalArgumentException("BMC credentials " + config.credentials()
                    + ": the first line is not USER:PASSWORD");
        }
        URI system = URI.create(config.bmc() + "/redfish/v1/Systems/" + config.system());
        return new Bmc(system, line.substring(0, colon), line.substring(colon + 1),
                config.ca().map(Bmc::trusting).orElseGet(Bmc::defaultContext));
    }

    /** The ComputerSystem's URL: what notes and proofs name. */
    public URI system() {
        return system;
    }

    /** The system's PowerState now. */
    public PowerReading power(Duration timeout) {
        HttpResponse<String> response;
        try {
            response = send(HttpRequest.newBuilder(system).GET(), timeout);
        } catch (SSLException e) {
            return new PowerReading(Power.UNKNOWN, "TLS with " + system + " failed: " + e.getMessage());
        } catch (IOException e) {
            return new PowerReading(Power.UNREACHABLE, system + " did not answer: " + e.getMessage());
        }
        if (response.statusCode() != 200) {
            return new PowerReading(Power.UNKNOWN, system + " answered " + status(response));
        }
        String state;
        try {
            state = json.readTree(response.body()).path("PowerState").asText("");
        } catch (IOException e) {
            state = "";
        }
        if (state.isEmpty()) {
            return new PowerReading(Power.UNKNOWN, system + " answered without a PowerState");
        }
        return new PowerReading(state.equals("Off") ? Power.OFF : Power.ON, "PowerState " + state);
    }

    /**
     * Asks for an immediate, ungraceful power-off (ResetType ForceOff).
     *
     * @throws IOException when the BMC did not answer, or refused; the message says how
     */
    public void forceOff(Duration timeout) throws IOException {
        JsonNode body = json.createObjectNode().put("ResetType", "ForceOff");
        HttpResponse<String> response = send(HttpRequest.newBuilder(URI.create(system + RESET))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(json.writeValueAsBytes(body))), timeout);
        if (response.statusCode() / 100 != 2) {
            throw new IOException(system + RESET + " refused ForceOff: " + status(response));
        }
    }

    private HttpResponse<String> send(HttpRequest.Builder request, Duration timeout) throws IOException {
        CompletableFuture<HttpResponse<String>> answer = http.sendAsync(request.timeout(timeout)
                .header("Authorization", authorization).header("Accept", "application/json").build(),
                HttpResponse.BodyHandlers.ofString());
        try {
            return answer.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            answer.cancel(true);
            throw new IOException("no answer within " + timeout.toMillis() + " ms");
        } catch (InterruptedException e) {
            answer.cancel(true);
            Thread.currentThread().interrupt();
            throw new IOException("interrupted");
        } catch (ExecutionException e) {
            // The client's own timeout, the same bound, may fire first: one message either way.
            if (e.getCause() instanceof java.net.http.HttpTimeoutException) {
                throw new IOException("no answer within " + timeout.toMillis() + " ms", e.getCause());
            }
            if (e.getCause() instanceof IOException io) {
                throw io;
            }
            throw new IOException(String.valueOf(e.getCause()), e.getCause());
        }
    }

    /** "HTTP 401: {body's first 200 characters}". */
    private static String status(HttpResponse<String> response) {
        String body = response.body() == null ? "" : response.body().strip().replaceAll("\\s+", " ");
        return "HTTP " + response.statusCode() + (body.isEmpty() ? "" : ": "
                + body.substring(0, Math.min(200, body.length())));
    }

    private static String firstLine(Path file) {
        try {
            List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
            return lines.isEmpty() ? "" : lines.get(0).strip();
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException("BMC credentials " + file + ": no such file");
        } catch (IOException e) {
            throw new IllegalArgumentException("BMC credentials " + file + " cannot be read: " + e.getMessage());
        }
    }

    /** A TLS context that trusts exactly the CA certificates in a PEM file. */
    private static SSLContext trusting(Path ca) {
        try (InputStream in = Files.newInputStream(ca)) {
            KeyStore trust = KeyStore.getInstance("PKCS12");
            trust.load(null, null);
            int i = 0;
            for (Certificate c : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
                trust.setCertificateEntry("ca" + i++, c);
            }
            if (i == 0) {
                throw new IllegalArgumentException("BMC CA " + ca + ": no certificate in it");
            }
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(trust);
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(null, tmf.getTrustManagers(), null);
            return context;
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalArgumentException("BMC CA " + ca + " is not usable: " + e.getMessage());
        }
    }

    private static SSLContext defaultContext() {
        try {
            return SSLContext.getDefault();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("the JVM's default TLS context: " + e.getMessage(), e);
        }
    }
}
