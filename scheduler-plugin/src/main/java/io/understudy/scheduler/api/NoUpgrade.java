package io.understudy.scheduler.api;

import io.understudy.agent.api.ApiError;
import jakarta.annotation.Priority;
import jakarta.ws.rs.Priorities;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.container.ContainerRequestFilter;
import jakarta.ws.rs.container.PreMatching;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.util.Locale;

/**
 * Refuses a request with a body that asks to switch to cleartext HTTP/2 ({@code Upgrade: h2c}), as
 * the JDK's HttpClient and {@code curl --http2} send it: this API speaks HTTP/1.1, and Grizzly does
 * not hand such a request's body on, so that the action would wait for it and end in a misleading
 * 408. A request without a body is answered in HTTP/1.1 as usual.
 */
@PreMatching
@Priority(Priorities.AUTHENTICATION - 100)
final class NoUpgrade implements ContainerRequestFilter {

    static final String MESSAGE = "a request with a body and Upgrade: h2c is not served: this API speaks HTTP/1.1"
            + " (curl --http1.1; the JDK's HttpClient: version(HTTP_1_1))";

    @Override
    public void filter(ContainerRequestContext request) {
        String upgrade = request.getHeaderString("Upgrade");
        boolean body = request.getLength() > 0 || request.getHeaderString("Transfer-Encoding") != null;
        if (body && upgrade != null && upgrade.toLowerCase(Locale.ROOT).contains("h2c")) {
            request.abortWith(Response.status(400).type(MediaType.APPLICATION_JSON)
                    .entity(new ApiError(400, MESSAGE)).build());
        }
    }
}
