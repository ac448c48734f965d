package io.understudy.nova.client;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Optional;
import java.util.Set;

/**
 * One request to Nova.
 *
 * @param path below the compute endpoint, starting with "/", query included and already encoded
 * @param idempotent whether sending it twice does no more than sending it once: only such
 *     requests are sent again after an error (GET, PUT and DELETE are; a POST only when its
 *     maker says so)
 */
public record NovaRequest(String method, String path, Microversion version, Optional<JsonNode> body,
        boolean idempotent) {

    private static final Set<String> METHODS = Set.of("GET", "POST", "PUT", "DELETE");

    public NovaRequest {
        requireNonNull(method, "method is null");
        requireNonNull(path, "path is null");
        requireNonNull(version, "version is null");
        requireNonNull(body, "body is null");
        if (!METHODS.contains(method)) {
            throw new IllegalArgumentException("HTTP method '" + method + "' is not one of " + METHODS);
        }
        if (!path.startsWith("/")) {
            throw new IllegalArgumentException("Nova path '" + path + "' does not start with /");
        }
        if (body.isPresent() != (method.equals("POST") || method.equals("PUT"))) {
            throw new IllegalArgumentException(method + " " + path + (body.isPresent() ? " has a body" : " lacks a body"));
        }
        if (method.equals("GET") && !idempotent) {
            throw new IllegalArgumentException("GET " + path + " marked as not idempotent");
        }
    }

    public static NovaRequest get(String path, Microversion version) {
        return new NovaRequest("GET", path, version, Optional.empty(), true);
    }

    /** A POST that starts something (an action): never sent twice by the client. */
    public static NovaRequest post(String path, Microversion version, JsonNode body) {
        return new NovaRequest("POST", path, version, Optional.of(requireNonNull(body, "body is null")), false);
    }

    /** A POST whose effect does not add up when repeated, such as merging metadata. */
    public static NovaRequest idempotentPost(String path, Microversion version, JsonNode body) {
        return new NovaRequest("POST", path, version, Optional.of(requireNonNull(body, "body is null")), true);
    }

    public static NovaRequest put(String path, Microversion version, JsonNode body) {
        return new NovaRequest("PUT", path, version, Optional.of(requireNonNull(body, "body is null")), true);
    }

    public static NovaRequest delete(String path, Microversion version) {
        return new NovaRequest("DELETE", path, version, Optional.empty(), true);
    }

    /** "METHOD PATH at VERSION", as errors and logs name a request. */
    @Override
    public String toString() {
        return method + " " + path + " at " + version;
    }
}
