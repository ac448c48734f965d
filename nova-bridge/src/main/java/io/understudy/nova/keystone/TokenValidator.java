package io.understudy.nova.keystone;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.understudy.nova.cloud.CloudConfig;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.HashSet;
import java.util.Optional;
import java.util.Set;

/**
 * Asks Keystone whom a caller's token belongs to ({@code GET /v3/auth/tokens} with the token as
 * {@code X-Subject-Token}), authenticated with this service's own token, as keystonemiddleware
 * does for every OpenStack API. Keystone's policy lets a user with the {@code service} or
 * {@code admin} role validate others' tokens.
 */
public final class TokenValidator {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final LoggedIn service;
    private final HttpClient http;
    private final URI tokens;
    private final Duration timeout;

    /**
     * @param service this service's own login
     * @param identityV3Url Keystone's v3 root, e.g. {@code http://127.0.0.1:5000/v3}
     * @param timeout bounds each exchange with Keystone, answer included
     */
    public TokenValidator(SessionSource service, HttpClient http, URI identityV3Url, Duration timeout) {
        this.service = new LoggedIn(service, Clock.systemUTC());
        this.http = requireNonNull(http, "http is null");
        this.tokens = URI.create(requireNonNull(identityV3Url, "identityV3Url is null") + "/auth/tokens?nocatalog");
        this.timeout = requireNonNull(timeout, "timeout is null");
    }

    /** A validator logging in with CLOUD's credentials, over its TLS settings. */
    public static TokenValidator create(CloudConfig cloud, Duration timeout) {
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(timeout)
                .sslContext(CloudTls.context(cloud)).build();
        return new TokenValidator(new KeystoneLogin(cloud, http, timeout), http, cloud.identityV3Url(), timeout);
    }

    /**
     * The token's caller; empty when Keystone does not know the token: never issued, expired or
     * revoked (Keystone answers 404 to all three alike).
     *
     * @throws KeystoneException when Keystone cannot be asked: unreachable, or it refuses this
     *     service's own token twice, or answers what is not a token
     */
    public Optional<Caller> validate(String token) {
        requireNonNull(token, "token is null");
        ComputeSession own = service.current();
        HttpResponse<String> response = exchange(token, own);
        if (response.statusCode() == 401 || response.statusCode() == 403) {
            // Our own token expired early or was revoked: log in once more.
            response = exchange(token, service.renew(own));
        }
        if (response.statusCode() == 404) {
            return Optional.empty();
        }
        if (response.statusCode() != 200) {
            throw new KeystoneException("validating a token at " + tokens + " failed: HTTP " + response.statusCode()
                    + ": " + KeystoneHttp.excerpt(response.body()));
        }
        try {
            return Optional.of(caller(JSON.readTree(response.body()).path("token")));
        } catch (JsonProcessingException | DateTimeParseException e) {
            throw new KeystoneException("validating a token at " + tokens + ": Keystone's answer is not a token: "
                    + KeystoneHttp.excerpt(response.body()), e);
        }
    }

    private HttpResponse<String> exchange(String token, ComputeSession own) {
        HttpRequest request = HttpRequest.newBuilder(tokens).timeout(timeout)
                .header("X-Auth-Token", own.token())
                .header("X-Subject-Token", token)
                .header("Accept", "application/json")
                .GET().build();
        return KeystoneHttp.send(http, request, timeout, "validating a token at " + tokens);
    }

    private static Caller caller(JsonNode token) {
        JsonNode user = token.path("user");
        Set<String> roles = new HashSet<>();
        token.path("roles").forEach(role -> roles.add(role.path("name").asText()));
        String scope;
        if (token.has("project")) {
            scope = "project " + named(token.path("project"));
        } else if (token.has("domain")) {
            scope = "domain " + named(token.path("domain"));
        } else if (token.has("system")) {
            scope = "system";
        } else {
            scope = "unscoped";
        }
        return new Caller(named(user), scope, roles, KeystoneHttp.time(token.path("expires_at").asText()));
    }

    private static String named(JsonNode entity) {
        return entity.path("name").asText("?") + " (" + entity.path("id").asText("?") + ")";
    }
}
