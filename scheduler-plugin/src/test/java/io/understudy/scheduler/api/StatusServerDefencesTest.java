package io.understudy.scheduler.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.understudy.scheduler.config.AgentsConfig;
import io.understudy.scheduler.config.DetectionConfig;
import io.understudy.scheduler.detect.Detection;
import io.understudy.scheduler.detect.Detector;
import io.understudy.scheduler.history.JsonLinesHistory;
import io.understudy.scheduler.moves.ForcedDownHosts;
import io.understudy.scheduler.moves.RecordJournal;
import io.understudy.scheduler.records.FileRecords;
import io.understudy.scheduler.round.LastRound;
import io.understudy.scheduler.history.RoundRecord;
import io.understudy.scheduler.metrics.ControllerMetrics;
import io.understudy.scheduler.testing.LocalStatusApi;
import io.understudy.scheduler.testing.TestMetrics;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * The status API as an attacker on the network meets it, over real HTTP: without the cluster token
 * only {@code /v1/health} answers, and it says nothing sensitive; clients that never finish (or
 * trickle) their headers neither block others nor keep their connection; unparsable paths get a
 * 4xx JSON line, never Grizzly's HTML page.
 */
class StatusServerDefencesTest {

    /** What a round's failure may name: for the token's holders only. */
    private static final String KEYSTONE = "http://keystone.internal:5000/v3";
    private static final String USER = "understudy-svc";
    private static final String CLOUDS_YAML = "/etc/understudy/clouds.yaml";

    /** How long a client waits for an answer: a liveness bound, far above what an answer takes. */
    private static final Duration ANSWER = Duration.ofSeconds(5);

    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    private final ListAppender<ILoggingEvent> logged = new ListAppender<>();
    private final List<Logger> loggers = List.of((Logger) LoggerFactory.getLogger(Authentication.class),
            (Logger) LoggerFactory.getLogger(JsonErrors.class), (Logger) LoggerFactory.getLogger(ErrorMapper.class));

    @TempDir
    Path dir;

    @BeforeEach
    void listen() {
        logged.start();
        loggers.forEach(l -> l.addAppender(logged));
    }

    @AfterEach
    void stopListening() {
        loggers.forEach(l -> l.detachAppender(logged));
    }

    private final ControllerMetrics metrics = TestMetrics.fresh();

    private StatusServer start(Duration idleTimeout) {
        JsonLinesHistory history = new JsonLinesHistory(dir.resolve("history.jsonl"));
        history.append(new RoundRecord(UUID.randomUUID(), "controller-a", Optional.empty(), Instant.EPOCH,
                Instant.EPOCH, false, Optional.of("login to " + KEYSTONE + " as " + USER + " failed (from "
                        + CLOUDS_YAML + ")"), "none", List.of(), 0, 0, 1, Map.of(), List.of(), List.of(), Map.of(),
                Map.of()));
        return StatusServer.start(LocalStatusApi.config(idleTimeout), LocalStatusApi.TOKEN, Optional.empty(),
                new StatusServer.Sources(history, new Detection(new Detector(DetectionConfig.DEFAULT), Clock.systemUTC()),
                        new RecordJournal(new FileRecords(dir.resolve("records"))), metrics, new LastRound(),
                        new ForcedDownHosts(new FileRecords(dir.resolve("records"))), Optional.empty()), "controller-a", false);
    }

    private HttpResponse<String> send(StatusServer server, String method, String path, String authorization)
            throws IOException, InterruptedException {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path))
                .timeout(ANSWER).method(method, HttpRequest.BodyPublishers.noBody());
        if (authorization != null) {
            request.header("Authorization", authorization);
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private List<String> log() {
        return logged.list.stream().map(ILoggingEvent::getFormattedMessage).toList();
    }

    @Test
    void everythingButHealthNeedsTheClusterTokenAndARefusalSaysNothing() throws Exception {
        String bearer = "Bearer " + LocalStatusApi.TOKEN;
        String wrong = "Bearer " + LocalStatusApi.TOKEN.replace('t', 'T');
        try (StatusServer server = start(Duration.ofSeconds(10))) {
            List<HttpResponse<String>> refused = new ArrayList<>();
            refused.add(send(server, "GET", "/v1/detection", null));
            refused.add(send(server, "GET", "/v1/rounds/latest", wrong));
            refused.add(send(server, "GET", "/v1/rounds/latest", bearer + "x"));
            refused.add(send(server, "GET", "/v1/rounds/latest", "bearer " + LocalStatusApi.TOKEN));
            refused.add(send(server, "GET", "/v1/rounds/latest", LocalStatusApi.TOKEN));
            refused.add(send(server, "GET", "/v1/nothing-here", null));
            refused.add(send(server, "GET", "/v1/health/", null));
            refused.add(send(server, "POST", "/v1/health", null));
            refused.add(send(server, "GET", "/metrics", null));
            for (HttpResponse<String> r : refused) {
                assertThat(r.statusCode()).as(r.request().method() + " " + r.uri()).isEqualTo(401);
                assertThat(r.headers().firstValue("Content-Type")).contains("application/json");
                assertThat(r.body()).isEqualTo("{\"status\":401,\"message\":\"authentication required: "
                        + "X-Auth-Token: <Keystone token>, or Authorization: Bearer <cluster token>\"}");
            }
            assertThat(log()).hasSize(refused.size());
            assertThat(log().get(0))
                    .matches("refused GET /v1/detection from 127\\.0\\.0\\.1:\\d+: no X-Auth-Token or Authorization header");
            assertThat(log().get(1)).matches("refused GET /v1/rounds/latest from 127\\.0\\.0\\.1:\\d+: not the cluster token");
            assertThat(log().get(7)).matches("refused POST /v1/health from 127\\.0\\.0\\.1:\\d+: no X-Auth-Token or "
                    + "Authorization header");
            assertThat(log().get(8)).matches("refused GET /metrics from 127\\.0\\.0\\.1:\\d+: no X-Auth-Token or "
                    + "Authorization header");
            assertThat(String.join("\n", log())).doesNotContain(LocalStatusApi.TOKEN)
                    .doesNotContain(LocalStatusApi.TOKEN.replace('t', 'T'));

            // With no cloud to ask, a Keystone token is refused, and said so.
            HttpResponse<String> keystone = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
                    + server.port() + "/v1/detection")).timeout(ANSWER).header("X-Auth-Token", "gAAAAAB-any").GET()
                    .build(), HttpResponse.BodyHandlers.ofString());
            assertThat(keystone.statusCode()).isEqualTo(401);
            assertThat(keystone.body()).contains("Keystone tokens are not accepted here");
            assertThat(log().get(refused.size())).endsWith("a Keystone token, with no cloud configured");

            metrics.fence("agent", true);
            HttpResponse<String> scraped = send(server, "GET", "/metrics", bearer);
            assertThat(scraped.statusCode()).isEqualTo(200);
            assertThat(scraped.headers().firstValue("Content-Type")).get().asString().startsWith("text/plain");
            assertThat(scraped.body()).contains("understudy_controller_fences_total{fencer=\"agent\",outcome=\"fenced\"} 1.0");

            HttpResponse<String> health = send(server, "GET", "/v1/health", null);
            assertThat(health.statusCode()).isEqualTo(200);
            assertThat(health.body()).isEqualTo("{\"status\":\"ok\",\"instance\":\"controller-a\",\"dryRun\":false}");
            refused.add(health);
            refused.add(send(server, "GET", "/v1/%68ealth", null));
            for (HttpResponse<String> r : refused) {
                assertThat(r.body()).doesNotContain(KEYSTONE).doesNotContain(USER).doesNotContain(CLOUDS_YAML)
                        .doesNotContain(LocalStatusApi.TOKEN);
                assertThat(String.join("\n", r.headers().map().keySet())).doesNotContainIgnoringCase("server");
            }

            // The token's holders see it all: the same bodies would show a leak.
            HttpResponse<String> latest = send(server, "GET", "/v1/rounds/latest", bearer);
            assertThat(latest.statusCode()).isEqualTo(200);
            assertThat(latest.body()).contains(KEYSTONE).contains(USER).contains(CLOUDS_YAML);
            HttpResponse<String> detection = send(server, "GET", "/v1/detection", bearer);
            assertThat(detection.statusCode()).isEqualTo(200);
            assertThat(detection.body()).isEqualTo("{\"instance\":\"controller-a\",\"hosts\":[]}");
            assertThat(send(server, "HEAD", "/v1/health", null).statusCode()).isEqualTo(200);
            HttpResponse<String> missing = send(server, "GET", "/v1/nothing-here", bearer);
            assertThat(missing.statusCode()).isEqualTo(404);
            assertThat(missing.body()).isEqualTo("{\"status\":404,\"message\":\"HTTP 404 Not Found\"}");
            HttpResponse<String> post = send(server, "POST", "/v1/detection", bearer);
            assertThat(post.statusCode()).isEqualTo(405);
            assertThat(post.body()).isEqualTo("{\"status\":405,\"message\":\"HTTP 405 Method Not Allowed\"}");
        }
    }

    @Test
    void clientsThatNeverFinishTheirHeadersBlockNoOneAndAreClosed() throws Exception {
        try (StatusServer server = start(Duration.ofSeconds(1))) {
            // More stalled clients than the server has workers, each at another point of its request.
            List<Socket> stalled = new ArrayList<>();
            String[] partial = {"G", "GET /v1/detection", "GET /v1/detection HTTP/1.1\r\n",
                    "GET /v1/detection HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthoriz", "GET /v1/health HTTP/1.1\r\nHost: x\r\n"};
            for (int i = 0; i < 3 * partial.length; i++) {
                Socket s = new Socket("127.0.0.1", server.port());
                s.getOutputStream().write(partial[i % partial.length].getBytes(StandardCharsets.US_ASCII));
                s.getOutputStream().flush();
                stalled.add(s);
            }
            // Others are answered meanwhile, within the client's timeout.
            for (int i = 0; i < 5; i++) {
                assertThat(send(server, "GET", "/v1/health", null).statusCode()).isEqualTo(200);
                assertThat(send(server, "GET", "/v1/detection", "Bearer " + LocalStatusApi.TOKEN).statusCode())
                        .isEqualTo(200);
            }
            // And the server closes each stalled connection: end of stream, no answer.
            for (Socket s : stalled) {
                try (s) {
                    s.setSoTimeout(30_000);
                    assertThat(readAll(s.getInputStream())).as("what the server sent a stalled client").isEmpty();
                }
            }
        }
    }

    @Test
    void aClientTricklingItsHeadersIsClosedAllTheSame() throws Exception {
        try (StatusServer server = start(Duration.ofSeconds(1));
                Socket s = new Socket("127.0.0.1", server.port())) {
            OutputStream out = s.getOutputStream();
            out.write("GET /v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ".getBytes(StandardCharsets.US_ASCII));
            // One byte about every 100 ms, far more often than the idle timeout, until the server
            // closes; 300 bytes (30 s) bound the wait.
            s.setSoTimeout(100);
            boolean closed = false;
            for (int i = 0; i < 300 && !closed; i++) {
                try {
                    out.write('a');
                    out.flush();
                    closed = s.getInputStream().read() == -1;
                } catch (SocketTimeoutException e) {
                    // Still open: the next byte.
                } catch (SocketException e) {
                    closed = true;
                }
            }
            assertThat(closed).as("the server closed a client that trickles its headers").isTrue();
            assertThat(send(server, "GET", "/v1/health", null).statusCode()).isEqualTo(200);
        }
    }

    @Test
    void unparsablePathsGetA400JsonLineNeverAPage() throws Exception {
        try (StatusServer server = start(Duration.ofSeconds(10))) {
            for (String path : List.of("/v1/{", "/v1/detection}", "/v1/a|b", "/v1/%zz", "/v1/health{")) {
                for (String auth : new String[] {"", "Authorization: Bearer " + LocalStatusApi.TOKEN + "\r\n"}) {
                    String answer = raw(server, "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n" + auth
                            + "Connection: close\r\n\r\n");
                    assertThat(answer).as(path).startsWith("HTTP/1.1 400 ")
                            .containsIgnoringCase("Content-Type: application/json")
                            .doesNotContain("<html").doesNotContain("Exception").doesNotContain("at org.");
                    String body = answer.substring(answer.indexOf("\r\n\r\n") + 4);
                    assertThat(body).as(path).startsWith("{\"status\":400,\"message\":\"not a valid request URI: ")
                            .doesNotContain("\n");
                }
            }
            assertThat(log()).hasSize(10).allMatch(line -> line.matches("refused a request from 127\\.0\\.0\\.1:\\d+: "
                    + "not a valid request URI: .+ at index \\d+"));
            // A query with the same characters is Jersey's to read: still the token first.
            assertThat(raw(server, "GET /v1/detection?a={|} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"))
                    .startsWith("HTTP/1.1 401 ");
        }
    }

    @Test
    void theTokenMustBeConfiguredReadableAndLongEnough() throws Exception {
        AgentsConfig none = AgentsConfig.DEFAULT;
        assertThatThrownBy(() -> StatusServer.clusterToken(none)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("the status API answers only with the cluster token: give agents.auth.clusterToken or "
                        + "clusterTokenFile");
        AgentsConfig shortToken = new AgentsConfig(9797, "http", Duration.ofSeconds(2), 1, Optional.of("s3cret"),
                Optional.empty(), Optional.empty(), Map.of());
        assertThatThrownBy(() -> StatusServer.clusterToken(shortToken)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("the cluster token (agents.auth.clusterToken or clusterTokenFile) must have at least 16 "
                        + "characters: the status API answers only with it");
        Path file = dir.resolve("token");
        AgentsConfig fromFile = new AgentsConfig(9797, "http", Duration.ofSeconds(2), 1, Optional.empty(),
                Optional.of(file), Optional.empty(), Map.of());
        assertThatThrownBy(() -> StatusServer.clusterToken(fromFile)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("agents.auth.clusterTokenFile " + file + " cannot be read: ");
        Files.writeString(file, LocalStatusApi.TOKEN + "\n");
        assertThat(StatusServer.clusterToken(fromFile)).isEqualTo(LocalStatusApi.TOKEN);
    }

    /** Sends REQUEST as it is, bytes the JDK's client would refuse to send, and reads the whole answer. */
    private static String raw(StatusServer server, String request) throws IOException {
        try (Socket s = new Socket("127.0.0.1", server.port())) {
            s.setSoTimeout((int) ANSWER.toMillis());
            s.getOutputStream().write(request.getBytes(StandardCharsets.US_ASCII));
            s.getOutputStream().flush();
            return readAll(s.getInputStream());
        }
    }

    private static String readAll(InputStream in) throws IOException {
        try {
            return new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
        } catch (SocketException e) {
            // Reset by the server, having sent nothing more.
            return "";
        }
    }
}
