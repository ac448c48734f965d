package io.understudy.scheduler.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import io.understudy.scheduler.config.DetectionConfig;
import io.understudy.scheduler.detect.Detection;
import io.understudy.scheduler.detect.Detector;
import io.understudy.scheduler.detect.HostState;
import io.understudy.scheduler.detect.NovaReports;
import io.understudy.scheduler.history.JsonLinesHistory;
import io.understudy.scheduler.testing.LocalStatusApi;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The status API serves each host's detection state, and what it serves reads back as it was. */
class StatusServerTest {

    @TempDir
    Path dir;

    @Test
    void detectionIsServedHostByHostWithItsReasonAndSince() throws Exception {
        Detection detection = new Detection(new Detector(DetectionConfig.DEFAULT), Clock.systemUTC());
        Instant now = Instant.now();
        detection.novaRead(new NovaReports(now, Map.of("compute1", Optional.of(now.minusSeconds(30)),
                "compute2", Optional.of(now))));
        for (int i = 0; i < 3; i++) {
            detection.probed(Map.of("compute1", Optional.of("connection refused"), "compute2", Optional.empty()));
        }
        try (StatusServer server = LocalStatusApi.start(
                new JsonLinesHistory(dir.resolve("history.jsonl")), detection, "controller-a")) {
            StatusServer.DetectionReport report = StatusClient.detection(
                    InetSocketAddress.createUnresolved("127.0.0.1", server.port()), LocalStatusApi.TOKEN, Duration.ofSeconds(2));
            assertThat(report.instance()).isEqualTo("controller-a");
            assertThat(report.hosts()).isEqualTo(detection.report());
            assertThat(report.hosts().get(0).state()).isEqualTo(HostState.FAILED);
            assertThat(report.hosts().get(0).reason()).isEqualTo("agent missed 3 probes in a row (connection refused); "
                    + "nova-compute silent for 30s (report interval 10s + margin 2s)");
            // On the wire, instants are ISO-8601 as in history.jsonl, what scripts and other readers parse.
            HttpResponse<String> raw = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + server.port() + "/v1/detection"))
                    .header("Authorization", "Bearer " + LocalStatusApi.TOKEN).build(), HttpResponse.BodyHandlers.ofString());
            JsonNode since = JsonLinesHistory.mapper().readTree(raw.body()).path("hosts").path(0).path("since");
            assertThat(since.isTextual()).as(raw.body()).isTrue();
            assertThat(Instant.parse(since.asText())).isEqualTo(report.hosts().get(0).since());
        }
    }

    @Test
    void aControllerThatDoesNotAnswerIsNamedInOneLine() throws IOException {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        assertThatThrownBy(() -> StatusClient.detection(InetSocketAddress.createUnresolved("127.0.0.1", port),
                LocalStatusApi.TOKEN, Duration.ofSeconds(2))).isInstanceOf(IOException.class)
                .hasMessageStartingWith("http://127.0.0.1:" + port + "/v1/detection: ");
    }
}
