package io.understudy.scheduler.api;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.understudy.agent.api.ApiError;
import io.understudy.scheduler.history.JsonLinesHistory;
import java.io.IOException;
import java.net.URISyntaxException;
import org.glassfish.grizzly.http.server.HttpHandler;
import org.glassfish.grizzly.http.server.Request;
import org.glassfish.grizzly.http.server.Response;
import org.glassfish.jersey.grizzly2.httpserver.GrizzlyHttpContainer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What answers where Jersey does not: a request whose URI Jersey cannot even parse (raw {@code {},
 * {@code |}...) gets 400 with one line, and anything else that escapes gets 500 with one line;
 * never Grizzly's HTML page with a stack trace.
 */
final class JsonErrors {

    /** The request attribute holding the client's address, for the log lines of the filters. */
    static final String PEER = "understudy.peer";

    private static final Logger LOG = LoggerFactory.getLogger(JsonErrors.class);
    private static final ObjectMapper JSON = JsonLinesHistory.mapper();

    private JsonErrors() {
    }

    static String body(int status, String message) {
        try {
            return JSON.writeValueAsString(new ApiError(status, oneLine(message)));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Grizzly's error page, for what fails below Jersey: the status and its reason, no trace. */
    static String page(Request request, int status, String reason, String description, Throwable cause) {
        return body(status, reason);
    }

    /** Control characters (a decoded %0A in a path) would forge log lines: shown escaped. */
    static String oneLine(String text) {
        StringBuilder out = new StringBuilder();
        String s = String.valueOf(text);
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (Character.isISOControl(c)) {
                out.append(String.format("\\u%04x", (int) c));
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }

    /** Jersey's container, behind the answers it cannot give itself. */
    static final class Guard extends HttpHandler {

        private final GrizzlyHttpContainer jersey;

        Guard(GrizzlyHttpContainer jersey) {
            this.jersey = jersey;
        }

        @Override
        public void service(Request request, Response response) throws IOException {
            String peer = request.getRemoteAddr() + ":" + request.getRemotePort();
            request.setAttribute(PEER, peer);
            try {
                jersey.service(request, response);
            } catch (IllegalArgumentException e) {
                if (!(e.getCause() instanceof URISyntaxException bad)) {
                    failed(request, response, peer, e);
                    return;
                }
                String message = "not a valid request URI: " + bad.getReason() + " at index " + bad.getIndex();
                LOG.warn("refused a request from {}: {}", peer, message);
                answer(response, 400, message);
            } catch (RuntimeException e) {
                failed(request, response, peer, e);
            }
        }

        private static void failed(Request request, Response response, String peer, RuntimeException e)
                throws IOException {
            LOG.error("status API request from {} failed: {} {}: {}", peer, request.getMethod(),
                    oneLine(request.getRequestURI()), oneLine(e.toString()), e);
            answer(response, 500, "internal error (the controller's log has it)");
        }

        private static void answer(Response response, int status, String message) throws IOException {
            if (response.isCommitted()) {
                return;
            }
            response.reset();
            response.setStatus(status);
            response.setContentType("application/json");
            byte[] body = body(status, message).getBytes(java.nio.charset.StandardCharsets.UTF_8);
            response.setContentLength(body.length);
            response.getOutputStream().write(body);
        }

        @Override
        public void start() {
            jersey.start();
        }

        @Override
        public void destroy() {
            jersey.destroy();
        }
    }
}
