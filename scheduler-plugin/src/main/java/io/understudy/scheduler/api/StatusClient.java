package io.understudy.scheduler.api;

import io.understudy.agent.api.ApiError;
import io.understudy.scheduler.history.JsonLinesHistory;
import io.understudy.scheduler.report.StatusReport;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/** Reads a serving controller's API: its last round ({@code status}) and its detection ({@code status}, {@code plan}). */
public final class StatusClient {

    private StatusClient() {
    }

    /**
     * {@code GET /v1/detection} with the cluster token.
     *
     * @throws IOException naming the address when the controller does not answer, refuses the
     *     token, or does not answer with a report
     */
    public static StatusServer.DetectionReport detection(InetSocketAddress listen, String clusterToken,
            Duration timeout) throws IOException {
        return read(listen, clusterToken, StatusServer.DETECTION, timeout, StatusServer.DetectionReport.class,
                "a detection report");
    }

    /**
     * {@code GET /v1/status} with the cluster token: what the serving controller saw in its last round.
     *
     * @throws IOException naming the address when the controller does not answer, refuses the
     *     token, has run no round yet (its reason), or does not answer with a report
     */
    public static StatusReport status(InetSocketAddress listen, String clusterToken, Duration timeout)
            throws IOException {
        return read(listen, clusterToken, StatusServer.STATUS, timeout, StatusReport.class, "a status report");
    }

    private static <T> T read(InetSocketAddress listen, String clusterToken, String path, Duration timeout,
            Class<T> type, String what) throws IOException {
        URI uri = URI.create("http://" + hostPart(listen.getHostString()) + ":" + listen.getPort() + path);
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(timeout).build();
        HttpResponse<byte[]> response;
        try {
            response = http.send(HttpRequest.newBuilder(uri).timeout(timeout)
                    .header("Authorization", "Bearer " + clusterToken).GET().build(),
                    HttpResponse.BodyHandlers.ofByteArray());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(uri + ": interrupted", e);
        } catch (IOException e) {
            throw new IOException(uri + ": " + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage()), e);
        }
        if (response.statusCode() == 401) {
            throw new IOException(uri + ": HTTP 401: the controller refused this configuration's cluster token "
                    + "(agents.auth)");
        }
        if (response.statusCode() != 200) {
            String message;
            try {
                message = JsonLinesHistory.mapper().readValue(response.body(), ApiError.class).message();
            } catch (IOException e) {
                message = "no error message";
            }
            throw new IOException(uri + ": HTTP " + response.statusCode() + ": " + message);
        }
        try {
            return JsonLinesHistory.mapper().readValue(response.body(), type);
        } catch (IOException e) {
            throw new IOException(uri + ": not " + what + ": " + e.getMessage(), e);
        }
    }

    /** Where to connect for a listening address: a wildcard is this machine. */
    private static String hostPart(String host) {
        if (host.equals("0.0.0.0") || host.equals("::") || host.equals("[::]")) {
            return "127.0.0.1";
        }
        return host.contains(":") ? "[" + host + "]" : host;
    }
}
