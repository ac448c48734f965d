package io.understudy.agent.server;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.understudy.agent.api.ApiError;
import io.understudy.agent.api.Json;
import java.net.URI;
import java.net.URISyntaxException;
import org.glassfish.grizzly.http.server.HttpHandler;
import org.glassfish.grizzly.http.server.Request;
import org.glassfish.grizzly.http.server.Response;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Refuses a request whose path is not a URI (raw {@code {}, {@code |}, a bad %-escape) with 400 and
 * one line, before Jersey turns it into URI and fails with Grizzly's 500 page and a stack trace.
 * Such a request never reaches authentication, so nothing it names is acted on.
 */
final class RequestTargets extends HttpHandler {

    private static final Logger LOG = LoggerFactory.getLogger(RequestTargets.class);

    private final HttpHandler next;
    private final ObjectMapper json = Json.mapper();

    RequestTargets(HttpHandler next) {
        this.next = next;
    }

    @Override
    public void service(Request request, Response response) throws Exception {
        String path = request.getRequestURI();
        try {
            new URI("http://agent" + path);
        } catch (URISyntaxException e) {
            String shown = path.length() > 64 ? path.substring(0, 64) + "…" : path;
            String message = "request path '" + shown + "' is not a URI path: " + e.getReason() + " at index "
                    + Math.max(e.getIndex() - "http://agent".length(), 0);
            LOG.warn("request refused (400) from {}: {}", request.getRemoteAddr(), message);
            byte[] body = json.writeValueAsBytes(new ApiError(400, message));
            response.setStatus(400);
            response.setContentType("application/json");
            response.setContentLength(body.length);
            response.getOutputStream().write(body);
            return;
        }
        next.service(request, response);
    }

    @Override
    public void start() {
        next.start();
    }

    @Override
    public void destroy() {
        next.destroy();
    }
}
