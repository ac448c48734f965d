package io.understudy.nova.client;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.MissingNode;
import io.understudy.nova.keystone.ComputeSession;
import io.understudy.nova.keystone.SessionSource;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpRequest.BodyPublisher;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * Sends JSON requests to Nova, each at the microversion its caller names.
 *
 * <p>The token and endpoint come from a {@link SessionSource}; a new login happens when the
 * token is about to expire, and once more when Nova answers 401 (a token revoked or expired
 * early), after which the request is sent again. Nothing else is retried here. Thread-safe.
 */
public final class NovaClient {

    public static final String VERSION_HEADER = "OpenStack-API-Version";

    /** Log in again this long before expiry, so that no request leaves with a token that dies on the way. */
    static final Duration RENEW_BEFORE_EXPIRY = Duration.ofSeconds(60);

    private static final int BODY_EXCERPT = 500;
    private static final ObjectMapper JSON = new ObjectMapper();

    private final SessionSource sessions;
    private final HttpClient http;
    private final Duration requestTimeout;
    private final Clock clock;
    private ComputeSession session;

    public NovaClient(SessionSource sessions, HttpClient http, Duration requestTimeout, Clock clock) {
        this.sessions = requireNonNull(sessions, "sessions is null");
        this.http = requireNonNull(http, "http is null");
        this.requestTimeout = requireNonNull(requestTimeout, "requestTimeout is null");
        this.clock = requireNonNull(clock, "clock is null");
    }

    /** A client on its own HTTP/1.1 connection pool (the OpenStack APIs do not speak HTTP/2). */
    public static NovaClient create(SessionSource sessions, Duration requestTimeout) {
        HttpClient http = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(requestTimeout)
                .build();
        return new NovaClient(sessions, http, requestTimeout, Clock.systemUTC());
    }

    /**
     * @param path below the compute endpoint, starting with "/", query included and already encoded
     * @return the response body, or a missing node when there is none
     * @throws NovaException when Nova answers with an error status or does not answer
     */
    public JsonNode get(String path, Microversion version) {
        return send("GET", path, version, Optional.empty());
    }

    public JsonNode post(String path, Microversion version, JsonNode body) {
        return send("POST", path, version, Optional.of(requireNonNull(body, "body is null")));
    }

    public JsonNode put(String path, Microversion version, JsonNode body) {
        return send("PUT", path, version, Optional.of(requireNonNull(body, "body is null")));
    }

    public JsonNode delete(String path, Microversion version) {
        return send("DELETE", path, version, Optional.empty());
    }

    private JsonNode send(String method, String path, Microversion version, Optional<JsonNode> body) {
        if (!path.startsWith("/")) {
            throw new IllegalArgumentException("Nova path '" + path + "' does not start with /");
        }
        ComputeSession used = session();
        HttpResponse<String> response = exchange(method, path, version, body, used);
        if (response.statusCode() == 401) {
            response = exchange(method, path, version, body, renew(used));
        }
        String what = method + " " + path + " at " + version;
        if (response.statusCode() >= 400) {
            throw new NovaException(what + ": HTTP " + response.statusCode() + ": " + excerpt(response.body()),
                    OptionalInt.of(response.statusCode()), requestId(response), null);
        }
        if (response.body().isBlank()) {
            return MissingNode.getInstance();
        }
        try {
            return JSON.readTree(response.body());
        } catch (JsonProcessingException e) {
            throw new NovaException(what + ": HTTP " + response.statusCode() + " with a body that is not JSON: "
                    + excerpt(response.body()), OptionalInt.of(response.statusCode()), requestId(response), e);
        }
    }

    private HttpResponse<String> exchange(String method, String path, Microversion version, Optional<JsonNode> body,
            ComputeSession session) {
        URI uri = URI.create(session.computeEndpoint() + path);
        BodyPublisher publisher = body.map(json -> BodyPublishers.ofString(json.toString()))
                .orElse(BodyPublishers.noBody());
        HttpRequest.Builder request = HttpRequest.newBuilder(uri)
                .timeout(requestTimeout)
                .header("X-Auth-Token", session.token())
                .header(VERSION_HEADER, version.headerValue())
                .header("Accept", "application/json")
                .method(method, publisher);
        body.ifPresent(json -> request.header("Content-Type", "application/json"));
        try {
            return http.send(request.build(), BodyHandlers.ofString());
        } catch (IOException e) {
            throw new NovaException(method + " " + uri + " at " + version + ": no response: " + e,
                    OptionalInt.empty(), Optional.empty(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new NovaException(method + " " + uri + " at " + version + ": interrupted",
                    OptionalInt.empty(), Optional.empty(), e);
        }
    }

    private synchronized ComputeSession session() {
        if (session == null || !clock.instant().isBefore(session.expiresAt().minus(RENEW_BEFORE_EXPIRY))) {
            session = sessions.login();
        }
        return session;
    }

    /** Nova refused this session's token: log in again, unless another thread already has. */
    private synchronized ComputeSession renew(ComputeSession refused) {
        if (session == refused) {
            session = sessions.login();
        }
        return session;
    }

    private static Optional<String> requestId(HttpResponse<String> response) {
        return response.headers().firstValue("x-openstack-request-id")
                .or(() -> response.headers().firstValue("x-compute-request-id"));
    }

    private static String excerpt(String body) {
        String flat = body.replaceAll("\\s+", " ").strip();
        return flat.length() <= BODY_EXCERPT ? flat : flat.substring(0, BODY_EXCERPT) + "...";
    }
}
