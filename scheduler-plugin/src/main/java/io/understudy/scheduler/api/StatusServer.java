package io.understudy.scheduler.api;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.understudy.scheduler.detect.Detection;
import io.understudy.scheduler.detect.HostReport;
import io.understudy.scheduler.history.HistoryStore;
import io.understudy.scheduler.history.JsonLinesHistory;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Serves the status API on the JDK's HTTP server, read-only: {@code /v1/health},
 * {@code /v1/rounds/latest}, and {@code /v1/detection} (each host's detection state, as this
 * controller sees it).
 */
public final class StatusServer implements AutoCloseable {

    public static final String DETECTION = "/v1/detection";

    /** {@code GET /v1/detection}: which controller answers, and every host it probes. */
    public record DetectionReport(String instance, List<HostReport> hosts) {}

    private final HttpServer server;

    private StatusServer(HttpServer server) {
        this.server = server;
    }

    public static StatusServer start(InetSocketAddress listen, HistoryStore history, Detection detection,
            String instance, boolean dryRun) {
        requireNonNull(history, "history is null");
        requireNonNull(detection, "detection is null");
        ObjectMapper json = JsonLinesHistory.mapper();
        HttpServer server;
        try {
            server = HttpServer.create(new InetSocketAddress(listen.getHostString(), listen.getPort()), 16);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot listen on " + listen.getHostString() + ":" + listen.getPort()
                    + ": " + e.getMessage(), e);
        }
        server.createContext("/v1/health", ex -> {
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("status", "ok");
            body.put("instance", instance);
            body.put("dryRun", dryRun);
            respond(ex, 200, json.writeValueAsBytes(body));
        });
        server.createContext("/v1/rounds/latest", ex -> {
            var latest = history.latest();
            if (latest.isEmpty()) {
                respond(ex, 404, json.writeValueAsBytes(Map.of("status", 404, "message", "no round recorded yet")));
            } else {
                respond(ex, 200, json.writeValueAsBytes(latest.get()));
            }
        });
        server.createContext(DETECTION, ex -> respond(ex, 200, json.writeValueAsBytes(
                new DetectionReport(instance, detection.report()))));
        server.start();
        return new StatusServer(server);
    }

    private static void respond(HttpExchange ex, int status, byte[] body) throws IOException {
        if (!"GET".equals(ex.getRequestMethod())) {
            status = 405;
            body = "{\"status\":405,\"message\":\"GET only\"}".getBytes(java.nio.charset.StandardCharsets.UTF_8);
        }
        ex.getResponseHeaders().set("Content-Type", "application/json");
        ex.sendResponseHeaders(status, body.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(body);
        }
    }

    public int port() {
        return server.getAddress().getPort();
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
