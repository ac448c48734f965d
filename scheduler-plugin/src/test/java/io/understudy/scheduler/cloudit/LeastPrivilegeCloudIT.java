package io.understudy.scheduler.cloudit;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.understudy.nova.cloud.CloudConfig;
import io.understudy.nova.cloud.CloudConfig.Password;
import io.understudy.nova.cloud.CloudConfigLoader;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The Keystone user every controller of these tests logs in as ({@link Cloud#CONTROLLER_CLOUD})
 * has least privilege, as the README's "Least privilege" sets it up: roles service and understudy,
 * no admin, and Nova's policy file (etc/nova/policy.d/understudy.yaml) in the cloud's nova-api.
 * Nova lets it read every project's servers and what only an admin reads; Keystone, Glance and
 * Placement refuse it what an admin may do. RealMovesCloudIT's live migration and failover run
 * with this user.
 */
class LeastPrivilegeCloudIT {

    private static final Duration TIMEOUT = Duration.ofSeconds(30);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    private Session admin;
    private Session controller;

    /** A token and the public endpoints of its catalog, by service type. */
    private record Session(String token, JsonNode body, Map<String, String> endpoints) {}

    @BeforeEach
    void logIn() throws Exception {
        Cloud cloud = new Cloud();
        admin = login(cloud, Cloud.CLOUD);
        controller = login(cloud, Cloud.CONTROLLER_CLOUD);
    }

    @Test
    void theControllersUserHasServiceAndUnderstudyNotAdmin() {
        List<String> roles = controller.body().path("roles").findValuesAsText("name");
        assertThat(roles).contains("service", "understudy").doesNotContain("admin");
    }

    @Test
    void novaLetsItReadEveryProjectAndWhatOnlyAnAdminReads() throws Exception {
        assertThat(call(controller, "compute", "GET", "/servers/detail?all_tenants=1", null).statusCode())
                .isEqualTo(200);
        assertThat(call(controller, "compute", "GET", "/os-hypervisors/detail", null).statusCode()).isEqualTo(200);
        assertThat(call(controller, "compute", "GET", "/os-migrations", null).statusCode()).isEqualTo(200);
    }

    @Test
    void keystoneGlanceAndPlacementRefuseItAnAdminsActs() throws Exception {
        HttpResponse<String> user = call(controller, "identity", "POST", "/users",
                "{\"user\": {\"name\": \"understudy-it-never-made\", \"domain_id\": \"default\"}}");
        assertThat(user.statusCode()).as(user.body()).isEqualTo(403);
        assertThat(JSON.readTree(call(admin, "identity", "GET", "/users?name=understudy-it-never-made", null).body())
                .path("users")).as("no such user made").isEmpty();

        String adminRole = JSON.readTree(call(admin, "identity", "GET", "/roles?name=admin", null).body())
                .path("roles").get(0).path("id").asText();
        String self = controller.body().path("user").path("id").asText();
        String project = controller.body().path("project").path("id").asText();
        HttpResponse<String> grant = call(controller, "identity", "PUT",
                "/projects/" + project + "/users/" + self + "/roles/" + adminRole, null);
        assertThat(grant.statusCode()).as("making itself an admin: " + grant.body()).isEqualTo(403);
        assertThat(call(admin, "identity", "HEAD", "/projects/" + project + "/users/" + self + "/roles/" + adminRole,
                null).statusCode()).as("it has no admin role after").isEqualTo(404);

        // The image local-cloud.sh makes for every kind of compute (the guest's only for libvirt ones).
        String image = JSON.readTree(call(admin, "image", "GET", "/v2/images?name=understudy-tiny", null).body())
                .path("images").path(0).path("id").asText();
        assertThat(image).as("the admin's image understudy-tiny").isNotEmpty();
        HttpResponse<String> deleted = call(controller, "image", "DELETE", "/v2/images/" + image, null);
        assertThat(deleted.statusCode()).as("deleting the admin's image: " + deleted.body()).isEqualTo(403);
        assertThat(call(admin, "image", "GET", "/v2/images/" + image, null).statusCode()).as("the image is there")
                .isEqualTo(200);

        HttpResponse<String> providers = call(controller, "placement", "GET", "/resource_providers", null);
        assertThat(providers.statusCode()).as(providers.body()).isEqualTo(403);
    }

    private static Session login(Cloud cloud, String name) throws Exception {
        CloudConfig config = new CloudConfigLoader(Map.of("OS_CLIENT_CONFIG_FILE", cloud.cloudsYaml.toString()),
                List.of()).load(Optional.of(name));
        Password p = (Password) config.auth();
        String body = "{\"auth\": {\"identity\": {\"methods\": [\"password\"], \"password\": {\"user\": {\"name\": "
                + JSON.writeValueAsString(p.user().value()) + ", \"domain\": {\"name\": \"Default\"}, \"password\": "
                + JSON.writeValueAsString(p.password()) + "}}}, \"scope\": {\"project\": {\"name\": "
                + JSON.writeValueAsString(p.project().value()) + ", \"domain\": {\"name\": \"Default\"}}}}}";
        HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(URI.create(config.identityV3Url()
                + "/auth/tokens")).timeout(TIMEOUT).header("Content-Type", "application/json")
                .POST(BodyPublishers.ofString(body)).build(), BodyHandlers.ofString());
        assertThat(response.statusCode()).as("login as " + name + ": " + response.body()).isEqualTo(201);
        JsonNode token = JSON.readTree(response.body()).path("token");
        Map<String, String> endpoints = new HashMap<>();
        for (JsonNode service : token.path("catalog")) {
            for (JsonNode endpoint : service.path("endpoints")) {
                if ("public".equals(endpoint.path("interface").asText())) {
                    endpoints.put(service.path("type").asText(), endpoint.path("url").asText().replaceAll("/+$", ""));
                }
            }
        }
        endpoints.put("identity", config.identityV3Url().toString());
        return new Session(response.headers().firstValue("X-Subject-Token").orElseThrow(), token, endpoints);
    }

    private static HttpResponse<String> call(Session session, String service, String method, String path,
            String body) throws IOException, InterruptedException {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(session.endpoints().get(service) + path))
                .timeout(TIMEOUT).header("X-Auth-Token", session.token()).header("Accept", "application/json")
                .header("OpenStack-API-Version", service.equals("compute") ? "compute 2.47" : "placement 1.0")
                .method(method, body == null ? BodyPublishers.noBody() : BodyPublishers.ofString(body));
        if (body != null) {
            request.header("Content-Type", "application/json");
        }
        return HTTP.send(request.build(), BodyHandlers.ofString());
    }
}
