package io.understudy.scheduler.api;

import io.understudy.agent.api.ApiError;
import jakarta.annotation.Priority;
import jakarta.ws.rs.Priorities;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.container.ContainerRequestFilter;
import jakarta.ws.rs.container.PreMatching;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Every request but {@code GET /v1/health} (and its HEAD) must carry {@code Authorization: Bearer TOKEN} with the
 * cluster token, compared in constant time, before anything else looks at it; a refusal gets 401
 * and one log line (never the token). Keystone tokens, once accepted, are checked here as well.
 */
@PreMatching
@Priority(Priorities.AUTHENTICATION)
final class Authentication implements ContainerRequestFilter {

    /** Below this the token is not a secret; agents refuse such a token too. */
    static final int MIN_TOKEN_LENGTH = 16;

    private static final Logger LOG = LoggerFactory.getLogger(Authentication.class);

    private final byte[] expected;

    Authentication(String clusterToken) {
        this.expected = ("Bearer " + check(clusterToken)).getBytes(StandardCharsets.UTF_8);
    }

    static String check(String clusterToken) {
        if (clusterToken == null || clusterToken.strip().length() < MIN_TOKEN_LENGTH) {
            throw new IllegalArgumentException("the cluster token (agents.auth.clusterToken or clusterTokenFile) "
                    + "must have at least " + MIN_TOKEN_LENGTH + " characters: the status API answers only with it");
        }
        return clusterToken;
    }

    @Override
    public void filter(ContainerRequestContext request) {
        // The matched path is the decoded one: /v1/%68ealth is health too, and v1/health/ is not.
        String method = request.getMethod();
        if (("GET".equals(method) || "HEAD".equals(method)) && "v1/health".equals(request.getUriInfo().getPath())) {
            return;
        }
        String header = request.getHeaderString(HttpHeaders.AUTHORIZATION);
        // The caller's bytes first: the comparison's time depends only on their length.
        if (header != null && MessageDigest.isEqual(header.getBytes(StandardCharsets.UTF_8), expected)) {
            return;
        }
        LOG.warn("refused {} {} from {}: {}", method,
                JsonErrors.oneLine(request.getUriInfo().getRequestUri().getRawPath()),
                request.getProperty(JsonErrors.PEER),
                header == null ? "no Authorization header" : "not the cluster token");
        request.abortWith(Response.status(Response.Status.UNAUTHORIZED).type(MediaType.APPLICATION_JSON)
                .header(HttpHeaders.WWW_AUTHENTICATE, "Bearer")
                .entity(new ApiError(401, "authentication required: Authorization: Bearer <cluster token>")).build());
    }
}
