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
import io.understudy.scheduler.moves.Journal;
import io.understudy.scheduler.moves.MoveKind;
import io.understudy.scheduler.moves.MovePlan;
import io.understudy.scheduler.moves.MoveState;
import io.understudy.scheduler.moves.RecordJournal;
import io.understudy.scheduler.moves.Step;
import io.understudy.scheduler.moves.StepResult;
import io.understudy.scheduler.records.FileRecords;
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
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
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
    void openMovesAreServedAndAnOperatorClosesOneThatStopped() throws Exception {
        Journal journal = new RecordJournal(new FileRecords(dir.resolve("records")));
        UUID stopped = UUID.fromString("0b5c1f3e-8d2a-4c6b-9e7f-1a2b3c4d5e6f");
        UUID flying = UUID.fromString("1b5c1f3e-8d2a-4c6b-9e7f-1a2b3c4d5e6f");
        Instant at = Instant.parse("2026-12-07T20:00:00Z");
        MoveState held = MoveState.begin(new MovePlan(stopped, MoveKind.FAILOVER, "compute1", "compute2",
                List.of("compute2"), Duration.ofSeconds(30), "host failed"), at);
        journal.begin(held);
        journal.save(held.advance(Step.FENCE, StepResult.agents(StepResult.Result.NEEDS_OPERATOR,
                "the fence did not say", 1), at.plusSeconds(1), Duration.ofMillis(300)));
        journal.begin(MoveState.begin(new MovePlan(flying, MoveKind.LIVE_MIGRATION, "compute1", "compute3",
                List.of("compute3"), Duration.ofSeconds(30), "rule"), at));
        try (StatusServer server = LocalStatusApi.start(new JsonLinesHistory(dir.resolve("history.jsonl")),
                new Detection(new Detector(DetectionConfig.DEFAULT), Clock.systemUTC()), journal, "controller-a")) {
            JsonNode moves = JsonLinesHistory.mapper().readTree(send(server, "GET", "/v1/moves").body()).path("moves");
            assertThat(moves).hasSize(2);
            assertThat(moves.findValuesAsText("status")).containsExactlyInAnyOrder("NEEDS_OPERATOR", "IN_FLIGHT");
            assertThat(moves.toString()).contains("the fence did not say").contains("\"tookMillis\":300");

            HttpResponse<String> bad = send(server, "POST", "/v1/moves/not-a-uuid/close");
            assertThat(bad.statusCode()).isEqualTo(400);
            assertThat(bad.body()).contains("vm: 'not-a-uuid' is not a server's UUID");
            assertThat(send(server, "POST", "/v1/moves/" + UUID.randomUUID() + "/close").statusCode()).isEqualTo(404);
            HttpResponse<String> inFlight = send(server, "POST", "/v1/moves/" + flying + "/close");
            assertThat(inFlight.statusCode()).isEqualTo(409);
            assertThat(journal.open(flying)).as("nothing changed").isPresent();

            HttpResponse<String> closed = send(server, "POST", "/v1/moves/" + stopped + "/close");
            assertThat(closed.statusCode()).as(closed.body()).isEqualTo(200);
            assertThat(closed.body()).contains("\"status\":\"NEEDS_OPERATOR\"");
            assertThat(journal.open(stopped)).isEmpty();
            assertThat(send(server, "POST", "/v1/moves/" + flying + "/close?inFlight=true").statusCode())
                    .isEqualTo(200);
            assertThat(journal.open()).isEmpty();
        }
    }

    private static HttpResponse<String> send(StatusServer server, String method, String path)
            throws IOException, InterruptedException {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port()
                + path)).header("Authorization", "Bearer " + LocalStatusApi.TOKEN)
                .method(method, HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
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
