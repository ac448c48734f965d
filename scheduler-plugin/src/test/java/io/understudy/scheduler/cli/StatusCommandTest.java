package io.understudy.scheduler.cli;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.wireMockConfig;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.github.tomakehurst.wiremock.WireMockServer;
import io.understudy.scheduler.api.StatusServer;
import io.understudy.scheduler.config.DetectionConfig;
import io.understudy.scheduler.detect.Detection;
import io.understudy.scheduler.detect.Detector;
import io.understudy.scheduler.detect.NovaReports;
import io.understudy.scheduler.history.JsonLinesHistory;
import io.understudy.scheduler.testing.FakeAgents;
import io.understudy.scheduler.testing.FakeNova;
import io.understudy.scheduler.testing.LocalStatusApi;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code understudy status} end to end: Keystone and Nova played by WireMock, agents by
 * in-process servers, and a serving controller's status API whose detection says compute1 failed
 * and compute2 is suspect — shown per host, and judged with as the controller would.
 */
class StatusCommandTest {

    private static final UUID VM = UUID.fromString("7d0c2a5e-0000-4000-8000-0000000000c1");

    private final WireMockServer openstack = new WireMockServer(wireMockConfig().dynamicPort());
    private final FakeAgents agents = new FakeAgents(Duration.ofSeconds(2));

    @TempDir
    Path dir;

    @AfterEach
    void stop() {
        openstack.stop();
        agents.close();
    }

    /** Keystone's answer to a password login: a token for an hour, Nova at this WireMock. */
    private void keystone() {
        Instant now = Instant.now();
        openstack.stubFor(post("/v3/auth/tokens").willReturn(aResponse().withStatus(201)
                .withHeader("Content-Type", "application/json").withHeader("X-Subject-Token", "a-token")
                .withBody("""
                        {"token": {"methods": ["password"], "expires_at": "%s", "issued_at": "%s",
                          "user": {"domain": {"id": "default", "name": "Default"}, "id": "u1", "name": "admin"},
                          "project": {"domain": {"id": "default", "name": "Default"}, "id": "p1", "name": "admin"},
                          "roles": [{"id": "r1", "name": "admin"}],
                          "catalog": [{"id": "c1", "type": "compute", "name": "nova", "endpoints": [
                            {"id": "e1", "interface": "public", "region_id": "RegionOne", "region": "RegionOne",
                             "url": "%s/v2.1"}]}]}}
                        """.formatted(now.plusSeconds(3600), now, openstack.baseUrl()))));
    }

    @Test
    void eachHostShowsItsDetectionStateAndAFailedHostsVmIsDecidedOff() throws Exception {
        openstack.start();
        keystone();
        new FakeNova(openstack).compute("compute1", true).compute("compute2", true).compute("compute3", true)
                .protectedServer(VM, "db", "compute1").serve();
        agents.answer("compute1", FakeAgents.stats("compute1", 5, 500, Map.of()))
                .answer("compute2", FakeAgents.stats("compute2", 5, 500, Map.of()))
                .answer("compute3", FakeAgents.stats("compute3", 5, 500, Map.of(VM, 2.0)))
                .mode("compute1", FakeAgents.Mode.ERROR).mode("compute2", FakeAgents.Mode.ERROR);
        Detection detection = new Detection(new Detector(DetectionConfig.DEFAULT), Clock.systemUTC());
        Instant now = Instant.now();
        detection.novaRead(new NovaReports(now, Map.of("compute1", Optional.of(now.minusSeconds(30)),
                "compute2", Optional.of(now), "compute3", Optional.of(now))));
        for (int i = 0; i < 3; i++) {
            detection.probed(Map.of("compute1", Optional.of("connection refused"),
                    "compute2", Optional.of("connection refused"), "compute3", Optional.empty()));
        }
        Files.writeString(dir.resolve("clouds.yaml"), "clouds: {c: {auth: {auth_url: '" + openstack.baseUrl()
                + "/v3', username: admin, password: pw, project_name: admin}}}\n");
        try (StatusServer serving = LocalStatusApi.start(new JsonLinesHistory(dir.resolve("history.jsonl")), detection,
                "controller-a")) {
            Files.writeString(dir.resolve("controller.yaml"), String.join("\n",
                    "listen: 127.0.0.1:" + serving.port(), "dataDir: " + dir,
                    "openstack: {cloudsYaml: clouds.yaml, cloud: c}",
                    "agents:", "  auth: {clusterToken: " + LocalStatusApi.TOKEN + "}",
                    "  endpoints: {compute1: '" + agents.url("compute1") + "', compute2: '"
                            + agents.url("compute2") + "', compute3: '" + agents.url("compute3") + "'}", ""));
            StringWriter out = new StringWriter();
            StringWriter err = new StringWriter();
            int exit = Main.run(new String[] {"status", "--config", dir.resolve("controller.yaml").toString()},
                    new PrintWriter(out, true), new PrintWriter(err, true));
            assertThat(err.toString()).isEmpty();
            assertThat(exit).isZero();
            assertThat(out.toString()).containsPattern("compute1 +FAILED +FAILED .*failed: agent missed 3 probes in a "
                    + "row \\(connection refused\\); nova-compute silent for 30s \\(report interval 10s \\+ margin 2s\\)")
                    .containsPattern("compute2 +OK +SUSPECT .*suspect: agent missed 3 probes in a row")
                    .containsPattern("compute3 +OK +OK ")
                    .containsPattern(VM + " +db +compute1 +compute3 \\(2(\\.0)?s\\) +MOVE to compute3");

            StringWriter json = new StringWriter();
            Main.run(new String[] {"status", "--json", "--config", dir.resolve("controller.yaml").toString()},
                    new PrintWriter(json, true), new PrintWriter(err, true));
            JsonNode doc = JsonLinesHistory.mapper().readTree(json.toString());
            assertThat(doc.path("detection").path("instance").asText()).isEqualTo("controller-a");
            assertThat(doc.path("hosts").get(1).path("detection").path("state").asText()).isEqualTo("SUSPECT");
        }
    }
}
