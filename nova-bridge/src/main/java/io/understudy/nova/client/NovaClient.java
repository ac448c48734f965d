package io.understudy.nova.client;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.MissingNode;
import io.understudy.nova.cloud.CloudConfig;
import io.understudy.nova.keystone.CloudTls;
import io.understudy.nova.keystone.ComputeSession;
import io.understudy.nova.keystone.KeystoneLogin;
import io.understudy.nova.keystone.LoggedIn;
import io.understudy.nova.keystone.SessionSource;
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
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Sends JSON requests to Nova, each at the microversion its caller names.
 *
 * <p>The token and endpoint come from a {@link SessionSource}; a new login happens when the
 * token is about to expire, and once more when Nova answers 401 (a token revoked or expired
 * early), after which the request is sent again. Nothing else is retried here ({@link Retrying}
 * does that). Every exchange, body included, ends within the request timeout. Thread-safe.
 */
public final class NovaClient implements NovaCalls {

    public static final String VERSION_HEADER = "OpenStack-API-Version";

    private static final int BODY_EXCERPT = 500;
    private static final ObjectMapper JSON = new ObjectMapper();

    private final LoggedIn sessions;
    private final HttpClient http;
    private final Duration requestTimeout;

    public NovaClient(SessionSource sessions, HttpClient http, Duration requestTimeout, Clock clock) {
        this.sessions = new LoggedIn(sessions, clock);
        this.http = requireNonNull(http, "http is null");
        this.requestTimeout = requireNonNull(requestTimeout, "requestTimeout is null");
    }

    /**
     * A client for the cloud on its own HTTP/1.1 connection pool (the OpenStack APIs do not speak
     * HTTP/2), shared with its Keystone login, both with the cloud's TLS settings.
     *
     * @throws IllegalArgumentException naming the file when the cloud's CA, certificate or key is unusable
     */
    public static NovaClient create(CloudConfig cloud, Duration requestTimeout) {
        HttpClient http = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(requestTimeout)
                .sslContext(CloudTls.context(cloud))
                .build();
        return new NovaClient(new KeystoneLogin(cloud, http, requestTimeout), http, requestTimeout, Clock.systemUTC());
    }

    @Override
    public NovaResponse send(NovaRequest request) {
        requireNonNull(request, "request is null");
        ComputeSession used = sessions.current();
        HttpResponse<String> response = exchange(request, used);
        if (response.statusCode() == 401) {
            response = exchange(request, sessions.renew(used));
        }
        Optional<String> requestId = requestId(response);
        if (response.statusCode() < 200 || response.statusCode() > 299) {
            throw new NovaException(request + ": HTTP " + response.statusCode() + ": " + excerpt(response.body()),
                    OptionalInt.of(response.statusCode()), requestId, null);
        }
        if (response.body().isBlank()) {
            return new NovaResponse(response.statusCode(), MissingNode.getInstance(), requestId);
        }
        try {
            return new NovaResponse(response.statusCode(), JSON.readTree(response.body()), requestId);
        } catch (JsonProcessingException e) {
            throw new NovaException(request + ": HTTP " + response.statusCode() + " with a body that is not JSON: "
                    + excerpt(response.body()), OptionalInt.of(response.statusCode()), requestId, e);
        }
    }

    /**
     * The whole exchange, body included, is bounded by the request timeout: {@link HttpRequest#timeout}
     * alone stops at the headers, and a body that trickles in would hold the caller forever.
     */
    private HttpResponse<String> exchange(NovaRequest request, ComputeSession session) {
        URI uri = URI.create(session.computeEndpoint() + request.path());
        BodyPublisher publisher = request.body().map(json -> BodyPublishers.ofString(json.toString()))
                .orElse(BodyPublishers.noBody());
        HttpRequest.Builder builder = HttpRequest.newBuilder(uri)
                .timeout(requestTimeout)
                .header("X-Auth-Token", session.token())
                .header(VERSION_HEADER, request.version().headerValue())
                .header("Accept", "application/json")
                .method(request.method(), publisher);
        request.body().ifPresent(json -> builder.header("Content-Type", "application/json"));
        String what = request.method() + " " + uri + " at " + request.version();
        CompletableFuture<HttpResponse<String>> response = http.sendAsync(builder.build(), BodyHandlers.ofString());
        try {
            return response.get(requestTimeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            response.cancel(true);
            throw new NovaException(what + ": no response within " + requestTimeout.toMillis() + " ms",
                    OptionalInt.empty(), Optional.empty(), e);
        } catch (ExecutionException e) {
            throw new NovaException(what + ": no response: " + e.getCause(), OptionalInt.empty(), Optional.empty(),
                    e.getCause());
        } catch (InterruptedException e) {
            response.cancel(true);
            Thread.currentThread().interrupt();
            throw new NovaException(what + ": interrupted", OptionalInt.empty(), Optional.empty(), e);
        }
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
