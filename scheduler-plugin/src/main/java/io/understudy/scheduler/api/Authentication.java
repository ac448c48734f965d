package io.understudy.scheduler.api;

import io.understudy.agent.api.ApiError;
import io.understudy.nova.keystone.Caller;
import io.understudy.nova.keystone.KeystoneException;
import io.understudy.scheduler.config.ApiConfig;
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
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Every request but {@code GET /v1/health} (and its HEAD) must be authenticated before anything
 * else looks at it, in one of two ways:
 * <ul>
 *   <li>{@code X-Auth-Token}: a Keystone token, as every OpenStack API takes it (operators,
 *       Horizon, the {@code openstack} CLI). Keystone validates it; reading (GET, HEAD) needs one of
 *       the reader roles, anything else one of the actor roles.
 *   <li>{@code Authorization: Bearer TOKEN} with the cluster token the agents share, compared in
 *       constant time: the controller's own commands on its host. It may do everything.
 * </ul>
 * An unknown, expired or revoked token gets 401, a token without the role 403, and a Keystone that
 * cannot be asked 503; each with one log line naming the caller where known, never the token.
 */
@PreMatching
@Priority(Priorities.AUTHENTICATION)
final class Authentication implements ContainerRequestFilter {

    /** Below this the token is not a secret; agents refuse such a token too. */
    static final int MIN_TOKEN_LENGTH = 16;

    /** The request property holding who the request came from, for the log lines of what it does. */
    static final String CALLER = "understudy.caller";

    static final String KEYSTONE_TOKEN = "X-Auth-Token";

    private static final Logger LOG = LoggerFactory.getLogger(Authentication.class);

    private final byte[] expected;
    private final Optional<KeystoneCallers> keystone;
    private final ApiConfig.Keystone roles;

    /**
     * @param keystone Keystone's word on tokens; empty: Keystone tokens are refused (no cloud configured)
     */
    Authentication(String clusterToken, Optional<KeystoneCallers> keystone, ApiConfig.Keystone roles) {
        this.expected = ("Bearer " + check(clusterToken)).getBytes(StandardCharsets.UTF_8);
        this.keystone = keystone;
        this.roles = roles;
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
        boolean reading = "GET".equals(method) || "HEAD".equals(method);
        if (reading && "v1/health".equals(request.getUriInfo().getPath())) {
            return;
        }
        String keystoneToken = request.getHeaderString(KEYSTONE_TOKEN);
        if (keystoneToken != null) {
            keystone(request, keystoneToken, reading);
            return;
        }
        String header = request.getHeaderString(HttpHeaders.AUTHORIZATION);
        // The caller's bytes first: the comparison's time depends only on their length.
        if (header != null && MessageDigest.isEqual(header.getBytes(StandardCharsets.UTF_8), expected)) {
            request.setProperty(CALLER, "the cluster token");
            return;
        }
        refuse(request, Response.Status.UNAUTHORIZED, header == null ? "no X-Auth-Token or Authorization header"
                : "not the cluster token", "authentication required: X-Auth-Token: <Keystone token>, or "
                + "Authorization: Bearer <cluster token>");
    }

    private void keystone(ContainerRequestContext request, String token, boolean reading) {
        if (keystone.isEmpty()) {
            refuse(request, Response.Status.UNAUTHORIZED, "a Keystone token, with no cloud configured",
                    "Keystone tokens are not accepted here: this controller has no cloud (openstack:) to validate them");
            return;
        }
        Optional<Caller> caller;
        try {
            caller = keystone.get().caller(token);
        } catch (KeystoneException e) {
            refuse(request, Response.Status.SERVICE_UNAVAILABLE, "Keystone cannot validate tokens: " + e.getMessage(),
                    "Keystone cannot validate the token now: " + e.getMessage());
            return;
        }
        if (caller.isEmpty()) {
            refuse(request, Response.Status.UNAUTHORIZED, "a Keystone token Keystone does not know (unknown, expired "
                    + "or revoked)", "the X-Auth-Token is not valid: Keystone does not know it (unknown, expired or "
                    + "revoked)");
            return;
        }
        Caller c = caller.get();
        Set<String> needed = reading ? roles.readerRoles() : roles.actorRoles();
        String who = "user " + c.user() + ", " + c.scope();
        if (needed.stream().noneMatch(c.roles()::contains)) {
            String why = who + " has none of the roles " + new TreeSet<>(needed) + " needed to "
                    + (reading ? "read" : "act") + " (its roles: " + new TreeSet<>(c.roles()) + ")";
            refuse(request, Response.Status.FORBIDDEN, why, why);
            return;
        }
        request.setProperty(CALLER, who);
    }

    private static void refuse(ContainerRequestContext request, Response.Status status, String logged,
            String answered) {
        LOG.warn("refused {} {} from {}: {}", request.getMethod(),
                JsonErrors.oneLine(request.getUriInfo().getRequestUri().getRawPath()),
                request.getProperty(JsonErrors.PEER), JsonErrors.oneLine(logged));
        Response.ResponseBuilder response = Response.status(status).type(MediaType.APPLICATION_JSON)
                .entity(new ApiError(status.getStatusCode(), answered));
        if (status == Response.Status.UNAUTHORIZED) {
            response.header(HttpHeaders.WWW_AUTHENTICATE, "Keystone").header(HttpHeaders.WWW_AUTHENTICATE, "Bearer");
        }
        request.abortWith(response.build());
    }
}
