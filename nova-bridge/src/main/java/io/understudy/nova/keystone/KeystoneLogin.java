package io.understudy.nova.keystone;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.understudy.nova.cloud.CloudConfig;
import io.understudy.nova.cloud.CloudConfig.ApplicationCredential;
import io.understudy.nova.cloud.CloudConfig.Auth;
import io.understudy.nova.cloud.CloudConfig.NameOrId;
import io.understudy.nova.cloud.CloudConfig.Password;
import io.understudy.nova.cloud.CloudConfig.Token;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Locale;

/**
 * Keystone v3 login ({@code POST /v3/auth/tokens}) with a password, an application credential or a
 * token, in the request bodies of Keystone's identity API reference; Nova's endpoint is then taken
 * from the token's catalog on the configured interface and region.
 */
public final class KeystoneLogin implements SessionSource {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final CloudConfig cloud;
    private final HttpClient http;
    private final Duration timeout;

    /**
     * @param http a client with the cloud's TLS ({@link CloudTls#context}), shared with Nova's requests
     * @param timeout bounds each login, answer included
     */
    public KeystoneLogin(CloudConfig cloud, HttpClient http, Duration timeout) {
        this.cloud = requireNonNull(cloud, "cloud is null");
        this.http = requireNonNull(http, "http is null");
        this.timeout = requireNonNull(timeout, "timeout is null");
    }

    /** @throws KeystoneException naming the cloud and the credentials when Keystone refuses or cannot be reached */
    @Override
    public ComputeSession login() {
        String what = "login to " + cloud.identityV3Url() + " with the " + cloud.auth() + " (" + cloud.source() + ")";
        HttpRequest request = HttpRequest.newBuilder(URI.create(cloud.identityV3Url() + "/auth/tokens"))
                .timeout(timeout)
                .header("Content-Type", "application/json")
                .header("Accept", "application/json")
                .POST(BodyPublishers.ofString(requestBody(cloud.auth()).toString()))
                .build();
        HttpResponse<String> response = KeystoneHttp.send(http, request, timeout, what);
        if (response.statusCode() != 201) {
            throw new KeystoneException(what + " failed: HTTP " + response.statusCode() + ": "
                    + KeystoneHttp.excerpt(response.body()));
        }
        String token = response.headers().firstValue("X-Subject-Token")
                .orElseThrow(() -> new KeystoneException(what + ": Keystone's answer has no X-Subject-Token"));
        JsonNode body;
        try {
            body = JSON.readTree(response.body()).path("token");
        } catch (JsonProcessingException e) {
            throw new KeystoneException(what + ": Keystone's answer is not JSON: "
                    + KeystoneHttp.excerpt(response.body()), e);
        }
        Instant expiresAt;
        try {
            expiresAt = KeystoneHttp.time(body.path("expires_at").asText());
        } catch (DateTimeParseException e) {
            throw new KeystoneException(what + ": the token's expires_at '" + body.path("expires_at").asText()
                    + "' is not a time", e);
        }
        return new ComputeSession(token, expiresAt, computeEndpoint(body.path("catalog")));
    }

    /**
     * The identity (and for a password or token, the project scope) as Keystone's API reference writes
     * it; an application credential is bound to its own project and may ask for no scope.
     */
    private static ObjectNode requestBody(Auth auth) {
        ObjectNode body = JSON.createObjectNode();
        ObjectNode request = body.putObject("auth");
        ObjectNode identity = request.putObject("identity");
        if (auth instanceof Password password) {
            identity.putArray("methods").add("password");
            ObjectNode user = reference(password.user());
            user.put("password", password.password());
            identity.putObject("password").set("user", user);
            request.putObject("scope").set("project", reference(password.project()));
        } else if (auth instanceof ApplicationCredential credential) {
            identity.putArray("methods").add("application_credential");
            ObjectNode method = identity.putObject("application_credential");
            if (credential.id().isPresent()) {
                method.put("id", credential.id().get());
            } else {
                method.put("name", credential.name().orElseThrow());
                method.set("user", reference(credential.user().orElseThrow()));
            }
            method.put("secret", credential.secret());
        } else {
            Token token = (Token) auth;
            identity.putArray("methods").add("token");
            identity.putObject("token").put("id", token.token());
            request.putObject("scope").set("project", reference(token.project()));
        }
        return body;
    }

    /** {"id": ...}, or {"name": ..., "domain": {"id" or "name": ...}}. */
    private static ObjectNode reference(NameOrId entity) {
        ObjectNode node = JSON.createObjectNode();
        if (entity.isId()) {
            node.put("id", entity.value());
        } else {
            node.put("name", entity.value());
            node.putObject("domain").put(entity.domain().isId() ? "id" : "name", entity.domain().value());
        }
        return node;
    }

    /** Nova's endpoint on the configured interface, in the configured region (or the first region listed). */
    URI computeEndpoint(JsonNode catalog) {
        String iface = cloud.endpointInterface().name().toLowerCase(Locale.ROOT);
        for (JsonNode service : catalog) {
            if (!"compute".equals(service.path("type").asText())) {
                continue;
            }
            for (JsonNode endpoint : service.path("endpoints")) {
                // region is the name Keystone listed before region_id, and lists still
                String region = endpoint.path("region_id").asText(endpoint.path("region").asText());
                if (iface.equals(endpoint.path("interface").asText())
                        && cloud.regionName().map(region::equals).orElse(true)) {
                    return uri(endpoint.path("url").asText());
                }
            }
        }
        throw new KeystoneException("the catalog of " + cloud.identityV3Url()
                + " has no compute endpoint on interface " + iface
                + cloud.regionName().map(region -> " in region " + region).orElse(""));
    }

    private static URI uri(String url) {
        try {
            return new URI(url.replaceAll("/+$", ""));
        } catch (URISyntaxException e) {
            throw new KeystoneException("the catalog's compute endpoint '" + url + "' is not a URL", e);
        }
    }
}
