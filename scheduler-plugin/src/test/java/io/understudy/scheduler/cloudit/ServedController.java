package io.understudy.scheduler.cloudit;

import com.fasterxml.jackson.databind.JsonNode;
import io.understudy.scheduler.api.StatusServer;
import io.understudy.scheduler.config.ConfigLoader;
import io.understudy.scheduler.detect.HostState;
import io.understudy.scheduler.history.JsonLinesHistory;
import io.understudy.scheduler.history.RoundRecord;
import io.understudy.scheduler.moves.MoveState;
import io.understudy.scheduler.testing.AgentDaemons;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

/**
 * A controller as operators run it: {@code java -jar understudy.jar serve --config FILE}, its own
 * JVM (Quartz's rounds, failure detection, the status API), read back through what it leaves:
 * {@code GET /v1/detection} (with the cluster token), its history file and its moves' journal.
 */
final class ServedController implements AutoCloseable {

    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final HttpClient HTTP_1_1 = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    final Path config;
    private final Path dataDir;
    private final Path log;
    private final URI api;
    private final String token;
    private final Process process;

    /**
     * Writes CONFIG_BODY (the configuration without {@code dataDir} and {@code listen}, which this
     * adds) to DIR/controller.yaml and starts serving it.
     */
    ServedController(Path dir, String configBody) throws IOException {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        dataDir = dir.resolve("controller");
        config = Files.writeString(dir.resolve("controller.yaml"), "dataDir: " + dataDir + "\n"
                + "listen: 127.0.0.1:" + port + "\n" + configBody);
        // The token its status API asks for: the agents' cluster token, which CONFIG_BODY gives.
        token = StatusServer.clusterToken(new ConfigLoader().load(config).agents());
        log = dir.resolve("controller.log");
        api = URI.create("http://127.0.0.1:" + port);
        process = new ProcessBuilder("java", "-Xmx256m", "-jar", System.getProperty("understudy.controller.jar"),
                "serve", "--config", config.toString()).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    }

    /**
     * A configuration body for a controller of the single-machine cloud and these agents, with the
     * rules in DIR/rules.yaml, rounds every 2 s and Nova's report interval as the cloud set it,
     * followed by SETTINGS (YAML lines of its own: placement, moves, ...).
     */
    static String configBody(Cloud cloud, AgentDaemons agents, String settings) {
        StringBuilder endpoints = new StringBuilder();
        agents.urls().forEach((host, url) -> endpoints.append("    ").append(host).append(": ").append(url)
                .append('\n'));
        return "rules: rules.yaml\n"
                + "openstack: {cloudsYaml: " + cloud.cloudsYaml + ", cloud: " + Cloud.CONTROLLER_CLOUD + "}\n"
                + "agents:\n  timeout: 10s\n  auth: {clusterTokenFile: " + agents.tokenFile + "}\n  endpoints:\n"
                + endpoints
                + "evaluation: {interval: 2s}\n"
                // Nova's report_interval as local-cloud.sh set it; the rest are detection's defaults.
                + "detection: {reportInterval: " + cloud.reportInterval().toSeconds() + "s}\n"
                + settings;
    }

    /** Each host's detection state, reason and since when, as {@code GET /v1/detection} says. */
    Map<String, Detected> detection() throws IOException, InterruptedException {
        HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(api.resolve("/v1/detection"))
                .header("Authorization", "Bearer " + token).timeout(Duration.ofSeconds(5)).build(),
                HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != 200) {
            throw new IOException("GET /v1/detection: HTTP " + response.statusCode() + ": " + response.body());
        }
        Map<String, Detected> hosts = new TreeMap<>();
        for (JsonNode h : JsonLinesHistory.mapper().readTree(response.body()).path("hosts")) {
            hosts.put(h.path("host").asText(), new Detected(HostState.valueOf(h.path("state").asText()),
                    h.path("reason").asText(), Instant.parse(h.path("since").asText())));
        }
        return hosts;
    }

    /** HOST's state; null while the controller does not answer yet or knows no such host. */
    HostState state(String host) {
        try {
            Detected d = detection().get(host);
            return d == null ? null : d.state();
        } catch (IOException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    /** Every round it recorded, oldest first. */
    List<RoundRecord> rounds() {
        return new JsonLinesHistory(dataDir.resolve("history.jsonl")).last(100_000);
    }

    /** Every move that ended (done, stopped or left to an operator), oldest first. */
    List<MoveState> endedMoves() throws IOException {
        Path ended = dataDir.resolve("moves/ended");
        if (!Files.isDirectory(ended)) {
            return List.of();
        }
        List<MoveState> moves = new ArrayList<>();
        try (var files = Files.list(ended)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".json")).toList()) {
                moves.add(JsonLinesHistory.mapper().readValue(f.toFile(), MoveState.class));
            }
        }
        moves.sort(Comparator.comparing(MoveState::startedAt));
        return moves;
    }

    /** An action asked of its API with the cluster token: METHOD PATH with the JSON BODY. */
    HttpResponse<String> ask(String method, String path, String body) throws IOException, InterruptedException {
        // HTTP/1.1 as curl and the OpenStack clients speak it: the JDK's default asks to upgrade to h2c.
        return HTTP_1_1.send(HttpRequest.newBuilder(api.resolve(path)).header("Authorization", "Bearer " + token)
                .header("Content-Type", "application/json").timeout(Duration.ofSeconds(30))
                .method(method, HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    /** The status API's root, e.g. {@code http://127.0.0.1:40123}. */
    URI api() {
        return api;
    }

    String log() throws IOException {
        return Files.exists(log) ? Files.readString(log) : "";
    }

    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor();
        }
    }

    record Detected(HostState state, String reason, Instant since) {}
}
