package io.understudy.scheduler.cloudit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.understudy.nova.cloud.CloudConfig;
import io.understudy.nova.cloud.CloudConfig.NameOrId;
import io.understudy.nova.cloud.CloudConfig.Password;
import io.understudy.nova.cloud.CloudConfigLoader;
import io.understudy.nova.keystone.KeystoneLogin;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The controller's API takes Keystone tokens from the single-machine cloud's real Keystone, as
 * every OpenStack API does: a user with a role on a project (member, which implies reader) reads
 * and may not act; an admin may act; a user whose only role is another is refused even reading;
 * a revoked and an unknown token are refused; each refusal is the server's (its status and its log
 * line). The users and the role it makes are deleted at its end.
 *
 * <p>The controller serves with {@code dryRun: true} and no agents: nothing here needs a round to act.
 */
class KeystoneApiCloudIT {

    private static final Duration TIMEOUT = Duration.ofSeconds(30);
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    /** Each test's own: no connection of one test's controller is offered to the next's. */
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    private CloudConfig admin;
    private String adminToken;
    private String projectId;
    private ServedController controller;
    private final List<String> made = new ArrayList<>();

    @BeforeEach
    void setUp() throws Exception {
        Cloud cloud = new Cloud();
        admin = new CloudConfigLoader(Map.of("OS_CLIENT_CONFIG_FILE", cloud.cloudsYaml.toString()), List.of())
                .load(Optional.of(Cloud.CLOUD));
        adminToken = new KeystoneLogin(admin, http, TIMEOUT).login().token();
        projectId = keystone("GET", "/auth/tokens", null, 200).path("token").path("project").path("id").asText();
        Path token = Files.writeString(dir.resolve("cluster-token"), UUID.randomUUID().toString());
        // Keystone is asked about every request (cacheTime 0s): a revocation shows at once.
        controller = new ServedController(dir, "dryRun: true\n"
                + "openstack: {cloudsYaml: " + cloud.cloudsYaml + ", cloud: " + Cloud.CONTROLLER_CLOUD + "}\n"
                + "agents: {auth: {clusterTokenFile: " + token + "}}\n"
                + "api: {keystone: {cacheTime: 0s}}\n");
        await("the controller's API").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200))
                .ignoreExceptions().until(() -> get("/v1/health", null).statusCode() == 200);
    }

    @AfterEach
    void tearDown() throws Exception {
        try {
            if (controller != null) {
                controller.close();
            }
        } finally {
            for (String path : made) {
                keystone("DELETE", path, null, 204);
            }
        }
    }

    @Test
    void readersReadAdminsActOthersAreRefused() throws Exception {
        String member = userWithRole("member");
        HttpResponse<String> read = get("/v1/detection", member);
        assertThat(read.statusCode()).as(read.body()).isEqualTo(200);

        // Acting needs admin: closing a move (here of a VM that has none).
        String close = "/v1/moves/" + UUID.randomUUID() + "/close";
        HttpResponse<String> act = send("POST", close, member);
        assertThat(act.statusCode()).as(act.body()).isEqualTo(403);
        assertThat(act.body()).contains("none of the roles [admin] needed to act").contains("member", "reader");
        HttpResponse<String> admins = send("POST", close, adminToken);
        assertThat(admins.statusCode()).as("an admin gets to the action: " + admins.body()).isEqualTo(404);
        assertThat(admins.body()).contains("no open move");

        String role = "understudy-it-" + UUID.randomUUID();
        String roleId = keystone("POST", "/roles", "{\"role\": {\"name\": \"" + role + "\"}}", 201)
                .path("role").path("id").asText();
        made.add("/roles/" + roleId);
        String other = userWithRole(role);
        HttpResponse<String> refused = get("/v1/detection", other);
        assertThat(refused.statusCode()).as(refused.body()).isEqualTo(403);
        assertThat(refused.body()).contains("none of the roles [reader] needed to read (its roles: [" + role + "])");
        assertThat(controller.log()).contains("refused GET /v1/detection from").contains("needed to read");
    }

    @Test
    void theApiServesWhatItsRoundsReadOfNovaAndItsActionsAreCheckedAgainstNova() throws Exception {
        String member = userWithRole("member");
        await("a round that read Nova").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500))
                .until(() -> get("/v1/status", member).statusCode() == 200);
        JsonNode status = JSON.readTree(get("/v1/status", member).body());
        assertThat(status.path("hosts").findValuesAsText("host")).contains("compute1", "compute2", "compute3");
        assertThat(JSON.readTree(get("/v1/hosts/compute2", member).body()).path("values").path("service_up")
                .asBoolean()).isTrue();

        // A reader may not act; an admin's actions are checked against the real Nova first.
        HttpResponse<String> readerActs = send("POST", "/v1/hosts/compute1/fence", member, "{}");
        assertThat(readerActs.statusCode()).as(readerActs.body()).isEqualTo(403);
        HttpResponse<String> unknownHost = send("POST", "/v1/hosts/compute9/fence", adminToken, "{}");
        assertThat(unknownHost.statusCode()).as(unknownHost.body()).isEqualTo(404);
        assertThat(unknownHost.body()).contains("Nova knows no nova-compute on compute9 (known: compute1, compute2, "
                + "compute3)");
        UUID nobody = UUID.randomUUID();
        HttpResponse<String> unknownVm = send("POST", "/v1/vms/" + nobody + "/migrate", adminToken,
                "{\"to\": \"compute2\"}");
        assertThat(unknownVm.statusCode()).as(unknownVm.body()).isEqualTo(404);
        assertThat(unknownVm.body()).contains("Nova knows no server " + nobody);
        HttpResponse<String> readerProtects = send("POST", "/v1/vms/" + nobody + "/protect", member, "{}");
        assertThat(readerProtects.statusCode()).as(readerProtects.body()).isEqualTo(403);
        HttpResponse<String> unknownProtected = send("POST", "/v1/vms/" + nobody + "/unprotect", adminToken, "{}");
        assertThat(unknownProtected.statusCode()).as(unknownProtected.body()).isEqualTo(404);
        assertThat(unknownProtected.body()).contains("Nova knows no server " + nobody);
        assertThat(dir.resolve("controller/fences")).as("nothing recorded by a refusal").doesNotExist();
        assertThat(dir.resolve("controller/protection")).as("nothing recorded by a refusal").doesNotExist();

        // No agent answers for compute1 here: an admin's word that it is powered off is recorded, with who said so.
        HttpResponse<String> fenced = send("POST", "/v1/hosts/compute1/fence", adminToken,
                "{\"note\": \"an IT's word\"}");
        assertThat(fenced.statusCode()).as(fenced.body()).isEqualTo(201);
        assertThat(JSON.readTree(fenced.body()).path("by").asText()).contains("admin");
        assertThat(send("DELETE", "/v1/hosts/compute1/fence", adminToken, null).statusCode()).isEqualTo(200);
        assertThat(controller.log()).contains("compute1: fence confirmed by hand by").contains("withdrawn by");
    }

    @Test
    void revokedAndUnknownTokensAreRefused() throws Exception {
        String token = userWithRole("member");
        assertThat(get("/v1/rounds/latest", token).statusCode()).isIn(200, 404);
        keystone("DELETE", "/auth/tokens", null, token, 204);
        HttpResponse<String> revoked = get("/v1/rounds/latest", token);
        assertThat(revoked.statusCode()).as(revoked.body()).isEqualTo(401);
        assertThat(revoked.body()).contains("Keystone does not know it (unknown, expired or revoked)");
        assertThat(revoked.headers().allValues("WWW-Authenticate")).contains("Keystone");
        assertThat(get("/metrics", "gAAAAABnot-a-token").statusCode()).isEqualTo(401);
        assertThat(controller.log()).contains("refused GET /v1/rounds/latest from")
                .contains("a Keystone token Keystone does not know");
    }

    /** A new user in the admin's domain with ROLE on the admin's project; its project-scoped token. */
    private String userWithRole(String role) throws Exception {
        String name = "understudy-it-" + UUID.randomUUID();
        String password = UUID.randomUUID().toString();
        String userId = keystone("POST", "/users", "{\"user\": {\"name\": \"" + name + "\", \"password\": \""
                + password + "\", \"domain_id\": \"default\"}}", 201).path("user").path("id").asText();
        made.add(0, "/users/" + userId);
        String roleId = keystone("GET", "/roles?name=" + role, null, 200).path("roles").get(0).path("id").asText();
        keystone("PUT", "/projects/" + projectId + "/users/" + userId + "/roles/" + roleId, null, 204);
        CloudConfig user = new CloudConfig("test", admin.authUrl(), new Password(NameOrId.byId(userId), password,
                NameOrId.byId(projectId)), admin.tls(), admin.regionName(), admin.endpointInterface());
        return new KeystoneLogin(user, http, TIMEOUT).login().token();
    }

    private HttpResponse<String> get(String path, String token) throws IOException, InterruptedException {
        return send("GET", path, token);
    }

    private HttpResponse<String> send(String method, String path, String token)
            throws IOException, InterruptedException {
        return send(method, path, token, null);
    }

    private HttpResponse<String> send(String method, String path, String token, String json)
            throws IOException, InterruptedException {
        HttpRequest.Builder request = HttpRequest.newBuilder(controller.api().resolve(path)).timeout(TIMEOUT)
                .method(method, json == null ? BodyPublishers.noBody() : BodyPublishers.ofString(json));
        if (json != null) {
            request.header("Content-Type", "application/json");
        }
        if (token != null) {
            request.header("X-Auth-Token", token);
        }
        return http.send(request.build(), BodyHandlers.ofString());
    }

    /**
     * Keystone's identity API with the admin's token, which is also the token {@code /auth/tokens}
     * describes unless SUBJECT names another; EXPECTED is the status that must answer.
     */
    private JsonNode keystone(String method, String path, String body, int expected)
            throws IOException, InterruptedException {
        return keystone(method, path, body, adminToken, expected);
    }

    private JsonNode keystone(String method, String path, String body, String subject, int expected)
            throws IOException, InterruptedException {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(admin.identityV3Url() + path)).timeout(TIMEOUT)
                .header("X-Auth-Token", adminToken).header("X-Subject-Token", subject)
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
