package io.understudy.nova.cloudit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.understudy.nova.client.NovaClient;
import io.understudy.nova.cloud.CloudConfig;
import io.understudy.nova.cloud.CloudConfig.ApplicationCredential;
import io.understudy.nova.cloud.CloudConfig.NameOrId;
import io.understudy.nova.cloud.CloudConfig.Password;
import io.understudy.nova.cloud.CloudConfig.Token;
import io.understudy.nova.cloud.CloudConfigLoader;
import io.understudy.nova.keystone.Caller;
import io.understudy.nova.keystone.CloudTls;
import io.understudy.nova.keystone.ComputeSession;
import io.understudy.nova.keystone.KeystoneException;
import io.understudy.nova.keystone.KeystoneLogin;
import io.understudy.nova.keystone.TokenValidator;
import io.understudy.nova.state.ComputeService;
import io.understudy.nova.state.ComputeServices;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Each kind of Keystone credentials, configured as an operator would (a clouds.yaml, or OS_*
 * variables), logs in to the single-machine cloud's real Keystone, and the session reads Nova's
 * compute services: a password with names, a password with user_id and project_id, an application
 * credential made for the test (by ID, by name with user_id, by name with username and domain; one
 * with an expiry), and the admin's own token; and Keystone behind TLS (a relay that terminates it,
 * as a load balancer would) with the cloud's CA file as {@code cacert}, refused without it. And Keystone's word on tokens, as the controller's
 * API asks for it: a valid token's user, scope and roles; a revoked, an expired and an unknown
 * token refused.
 *
 * <p>Runs only with {@code -Dunderstudy.cloud.config=PATH/clouds.yaml} (the admin's, cloud
 * {@code understudy}). The application credentials it makes are deleted at its end.
 */
class KeystoneCloudIT {

    private static final Duration TIMEOUT = Duration.ofSeconds(30);
    private static final ObjectMapper JSON = new ObjectMapper();

    private static CloudConfig admin;
    private static HttpClient http;
    private static String adminToken;
    private static String userId;
    private static String userDomainId;
    private static String projectId;
    private static final List<String> credentialsMade = new ArrayList<>();

    @TempDir
    Path dir;

    @BeforeAll
    static void loginAsAdmin() throws IOException, InterruptedException {
        String cloudsYaml = System.getProperty("understudy.cloud.config");
        assertThat(cloudsYaml).as("system property understudy.cloud.config (the cloud's clouds.yaml)").isNotBlank();
        admin = new CloudConfigLoader(Map.of("OS_CLIENT_CONFIG_FILE", cloudsYaml), List.of())
                .load(Optional.of(System.getProperty("understudy.cloud.name", "understudy")));
        http = HttpClient.newBuilder().sslContext(CloudTls.context(admin)).build();
        adminToken = new KeystoneLogin(admin, http, TIMEOUT).login().token();
        // The token's own user and project: GET /v3/auth/tokens validates a token and describes it.
        JsonNode token = keystone("GET", "/auth/tokens", null, 200).path("token");
        userId = token.path("user").path("id").asText();
        userDomainId = token.path("user").path("domain").path("id").asText();
        projectId = token.path("project").path("id").asText();
        assertThat(userId).isNotBlank();
        assertThat(projectId).isNotBlank();
    }

    @AfterAll
    static void deleteTheApplicationCredentials() throws IOException, InterruptedException {
        for (String id : credentialsMade) {
            keystone("DELETE", "/users/" + userId + "/application_credentials/" + id, null, 204);
        }
    }

    @Test
    void aPasswordWithNames() {
        assertThat(adminPassword().user().isId()).as("the admin's clouds.yaml names its user").isFalse();
        assertThat(adminPassword().project().isId()).as("and its project").isFalse();
        readsComputeServices(admin);
    }

    @Test
    void aPasswordWithUserIdAndProjectId() throws IOException {
        CloudConfig cloud = fromCloudsYaml("""
                auth:
                  auth_url: %s
                  user_id: %s
                  password: %s
                  project_id: %s
                """.formatted(admin.authUrl(), userId, quoted(adminPassword().password()), projectId));

        assertThat(cloud.auth()).isEqualTo(new Password(NameOrId.byId(userId), adminPassword().password(),
                NameOrId.byId(projectId)));
        readsComputeServices(cloud);
    }

    @Test
    void keystoneBehindTlsIsTrustedThroughTheCloudsCaFileAndRefusedWithoutIt() throws Exception {
        Path tls = dir.resolve("tls");
        Process make = new ProcessBuilder("bash", "../devstack/tls/cluster-tls.sh", tls.toString(), "keystone")
                .redirectErrorStream(true).start();
        String made = new String(make.getInputStream().readAllBytes());
        assertThat(make.waitFor()).as(made).isZero();
        URI plain = admin.authUrl();
        try (TlsRelay relay = new TlsRelay(tls.resolve("keystone.crt"), tls.resolve("keystone.key"),
                new InetSocketAddress(plain.getHost(), plain.getPort()))) {
            String entry = """
                    auth:
                      auth_url: https://127.0.0.1:%d%s
                      username: %s
                      password: %s
                      project_name: %s
                      user_domain_name: Default
                      project_domain_name: Default
                    """.formatted(relay.port(), plain.getPath(), adminPassword().user().value(),
                    quoted(adminPassword().password()), adminPassword().project().value());

            CloudConfig trusted = fromCloudsYaml(entry + "cacert: " + tls.resolve("ca.crt") + "\n");
            ComputeSession session = new KeystoneLogin(trusted, HttpClient.newBuilder()
                    .sslContext(CloudTls.context(trusted)).build(), TIMEOUT).login();
            assertThat(session.token()).isNotBlank();
            // Nova through the catalog the real Keystone answered over TLS.
            readsComputeServices(trusted);

            CloudConfig untrusted = fromCloudsYaml(entry);
            assertThatThrownBy(() -> new KeystoneLogin(untrusted, HttpClient.newBuilder()
                    .sslContext(CloudTls.context(untrusted)).build(), TIMEOUT).login())
                    .as("the JVM's trust store does not know the cloud's CA")
                    .isInstanceOf(KeystoneException.class).hasMessageContaining("PKIX path");
        }
    }

    @Test
    void anApplicationCredentialByIdAndByNameWithItsUser() throws IOException, InterruptedException {
        String name = "understudy-it-" + UUID.randomUUID();
        JsonNode made = keystone("POST", "/users/" + userId + "/application_credentials", """
                {"application_credential": {"name": "%s", "description": "KeystoneCloudIT, deleted at its end"}}
                """.formatted(name), 201).path("application_credential");
        String id = made.path("id").asText();
        credentialsMade.add(id);
        String secret = made.path("secret").asText();

        CloudConfig byId = fromCloudsYaml("""
                auth_type: v3applicationcredential
                auth:
                  auth_url: %s
                  application_credential_id: %s
                  application_credential_secret: %s
                """.formatted(admin.authUrl(), id, quoted(secret)));
        assertThat(byId.auth()).isInstanceOf(ApplicationCredential.class);
        readsComputeServices(byId);

        String byName = """
                auth_type: v3applicationcredential
                auth:
                  auth_url: %s
                  application_credential_name: %s
                  application_credential_secret: %s
                """.formatted(admin.authUrl(), name, quoted(secret));
        readsComputeServices(fromCloudsYaml(byName + "  user_id: " + userId + "\n"));
        readsComputeServices(fromCloudsYaml(byName + "  username: " + adminPassword().user().value() + "\n"
                + "  user_domain_id: " + userDomainId + "\n"));
    }

    @Test
    void theAdminsOwnTokenFromOsVariables() {
        CloudConfig cloud = new CloudConfigLoader(Map.of(
                "OS_AUTH_URL", admin.authUrl().toString(),
                "OS_AUTH_TYPE", "v3token",
                "OS_TOKEN", adminToken,
                "OS_PROJECT_ID", projectId,
                "OS_REGION_NAME", admin.regionName().orElse(""),
                "OS_INTERFACE", admin.endpointInterface().name().toLowerCase(Locale.ROOT)), List.of())
                .load(Optional.empty());

        assertThat(cloud.auth()).isEqualTo(new Token(adminToken, NameOrId.byId(projectId)));
        readsComputeServices(cloud);
    }

    @Test
    void theValidatorNamesTheCallerWithTheRolesItsRolesImply() {
        Caller caller = validator().validate(adminToken).orElseThrow();
        assertThat(caller.user()).isEqualTo(adminPassword().user().value() + " (" + userId + ")");
        assertThat(caller.scope()).startsWith("project ").endsWith("(" + projectId + ")");
        // Keystone's bootstrap makes admin imply member, and member reader.
        assertThat(caller.roles()).contains("admin", "member", "reader");
        assertThat(caller.expiresAt()).isAfter(Instant.now());
    }

    @Test
    void aRevokedOrUnknownTokenIsNotValid() throws IOException, InterruptedException {
        TokenValidator validator = validator();
        String token = new KeystoneLogin(admin, http, TIMEOUT).login().token();
        assertThat(validator.validate(token)).isPresent();
        send("DELETE", "/auth/tokens", token, null, 204);
        assertThat(validator.validate(token)).as("revoked").isEmpty();
        assertThat(validator.validate("gAAAAABnot-a-token")).as("never issued").isEmpty();
    }

    /**
     * An application credential with an expiry logs in (Keystone then writes the token's expiry
     * with no zone: {@code 2026-12-07T20:26:49}), and its token, which ends with it, is refused
     * once it has expired.
     */
    @Test
    void anApplicationCredentialsExpiryEndsItsToken() throws IOException, InterruptedException {
        Instant expiry = Instant.now().plusSeconds(6).truncatedTo(ChronoUnit.SECONDS);
        JsonNode made = keystone("POST", "/users/" + userId + "/application_credentials", """
                {"application_credential": {"name": "%s", "expires_at": "%s",
                 "description": "KeystoneCloudIT, deleted at its end"}}
                """.formatted("understudy-it-" + UUID.randomUUID(), expiry.toString().replace("Z", "")), 201)
                .path("application_credential");
        credentialsMade.add(made.path("id").asText());
        CloudConfig cloud = new CloudConfig("test", admin.authUrl(), new ApplicationCredential(
                Optional.of(made.path("id").asText()), Optional.empty(), Optional.empty(),
                made.path("secret").asText()), admin.tls(), admin.regionName(), admin.endpointInterface());

        ComputeSession session = new KeystoneLogin(cloud, http, TIMEOUT).login();
        assertThat(session.expiresAt()).isEqualTo(expiry);
        TokenValidator validator = validator();
        assertThat(validator.validate(session.token())).map(Caller::expiresAt).contains(expiry);
        await("the token past its expiry").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(500))
                .until(() -> Instant.now().isAfter(expiry));
        assertThat(validator.validate(session.token())).as("expired").isEmpty();
    }

    private static TokenValidator validator() {
        return TokenValidator.create(admin, TIMEOUT);
    }

    private static Password adminPassword() {
        assertThat(admin.auth()).as("the admin's clouds.yaml logs in with a password").isInstanceOf(Password.class);
        return (Password) admin.auth();
    }

    /** A YAML string as JSON writes it (JSON is YAML), whatever characters a secret holds. */
    private static String quoted(String value) throws IOException {
        return JSON.writeValueAsString(value);
    }

    /** The cloud entry, beside the admin's region and interface, through the loader as an operator's file. */
    private CloudConfig fromCloudsYaml(String entry) throws IOException {
        String indented = entry.indent(4)
                + "    region_name: " + admin.regionName().orElse("") + "\n"
                + "    interface: " + admin.endpointInterface().name().toLowerCase(Locale.ROOT) + "\n";
        Path file = Files.writeString(dir.resolve("clouds.yaml"), "clouds:\n  test:\n" + indented);
        return new CloudConfigLoader(Map.of(), List.of(dir)).load(Optional.of("test"));
    }

    private static void readsComputeServices(CloudConfig cloud) {
        NovaClient nova = NovaClient.create(cloud, TIMEOUT);
        List<ComputeService> services = new ComputeServices(nova).list();
        assertThat(services).as("Nova's compute services, read with the " + cloud.auth()).isNotEmpty();
    }

    /** Keystone's identity API with the admin's token; EXPECTED is the status that must answer. */
    private static JsonNode keystone(String method, String path, String body, int expected)
            throws IOException, InterruptedException {
        return send(method, path, adminToken, body, expected);
    }

    /** As {@link #keystone}, SUBJECT the token {@code /auth/tokens} describes or revokes. */
    private static JsonNode send(String method, String path, String subject, String body, int expected)
            throws IOException, InterruptedException {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(admin.identityV3Url() + path))
                .timeout(TIMEOUT)
                .header("X-Auth-Token", adminToken)
                .header("X-Subject-Token", subject) // the token /auth/tokens is about; others ignore it
                .header("Accept", "application/json")
                .method(method, body == null ? BodyPublishers.noBody() : BodyPublishers.ofString(body));
        if (body != null) {
            request.header("Content-Type", "application/json");
        }
        HttpResponse<String> response = http.send(request.build(), BodyHandlers.ofString());
        assertThat(response.statusCode()).as(method + " " + path + ": " + response.body()).isEqualTo(expected);
        return response.body().isBlank() ? JSON.createObjectNode() : JSON.readTree(response.body());
    }
}
