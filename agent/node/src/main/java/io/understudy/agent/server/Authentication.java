package io.understudy.agent.server;

import io.understudy.agent.api.ApiError;
import io.understudy.agent.config.AgentConfig;
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
import java.security.cert.X509Certificate;
import org.glassfish.grizzly.http.server.util.Globals;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Every request is authenticated before anything else looks at it. With mutual TLS the handshake
 * already refused clients without a certificate from the cluster CA; the request must still show
 * the certificate chain that handshake verified, so that a listener set up without requiring one
 * lets nobody in. With the cluster token it must carry {@code Authorization: Bearer TOKEN},
 * compared in constant time. Refusals get 401 and one log line.
 */
@PreMatching
@Priority(Priorities.AUTHENTICATION)
final class Authentication implements ContainerRequestFilter {

    private static final Logger LOG = LoggerFactory.getLogger(Authentication.class);

    private final AgentConfig.AuthMode mode;
    private final byte[] expected;

    Authentication(AgentConfig.AuthMode mode, String token) {
        this.mode = mode;
        this.expected = token == null ? null : ("Bearer " + token).getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public void filter(ContainerRequestContext request) {
        boolean ok;
        if (mode == AgentConfig.AuthMode.MTLS) {
            ok = request.getSecurityContext().isSecure()
                    && request.getProperty(Globals.CERTIFICATES_ATTR) instanceof X509Certificate[] chain
                    && chain.length > 0;
        } else {
            String header = request.getHeaderString(HttpHeaders.AUTHORIZATION);
            ok = header != null && MessageDigest.isEqual(header.getBytes(StandardCharsets.UTF_8), expected);
        }
        if (!ok) {
            LOG.warn("refused an unauthenticated request: {} /{}", request.getMethod(),
                    request.getUriInfo().getPath());
            request.abortWith(Response.status(Response.Status.UNAUTHORIZED).type(MediaType.APPLICATION_JSON)
                    .entity(new ApiError(401, "authentication required")).build());
        }
    }
}
