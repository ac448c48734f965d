package io.understudy.scheduler.cli;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.wireMockConfig;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.client.WireMock;
import com.google.inject.Injector;
import io.understudy.scheduler.api.ActionsResource;
import io.understudy.scheduler.api.StatusServer;
import io.understudy.scheduler.config.ConfigLoader;
import io.understudy.scheduler.config.DetectionConfig;
import io.understudy.scheduler.detect.Detection;
import io.understudy.scheduler.detect.Detector;
import io.understudy.scheduler.detect.NovaReports;
import io.understudy.scheduler.history.JsonLinesHistory;
import io.understudy.scheduler.moves.BringBack;
import io.understudy.scheduler.moves.FenceConfirmations;
import io.understudy.scheduler.moves.ForcedDownHosts;
import io.understudy.scheduler.moves.Journal;
import io.understudy.scheduler.moves.ManualFences;
import io.understudy.scheduler.moves.ManualMoves;
import io.understudy.scheduler.moves.MoveState;
import io.understudy.scheduler.round.EvaluationRound;
import io.understudy.scheduler.round.LastRound;
import io.understudy.scheduler.round.ProtectionChoices;
import io.understudy.scheduler.round.RoundState;
import io.understudy.scheduler.testing.FakeAgents;
import io.understudy.scheduler.testing.FakeNova;
import io.understudy.scheduler.testing.LocalStatusApi;
import io.understudy.scheduler.testing.TestMetrics;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
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
 * in-process servers, and a serving controller's API whose detection says compute1 failed and
 * compute2 is suspect: what that controller saw in its last round is shown without reading Nova;
 * with no round there yet, a round of the command's own judges with its detection.
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

    /** Nova, the agents (compute1 and compute2 not answering) and a detection: compute1 failed, compute2 suspect. */
    private Detection cloud() {
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
        return detection;
    }

    /** The configuration of the controller serving on PORT, reading the cloud of {@link #cloud}. */
    private Path config(int port) throws IOException {
        Files.writeString(dir.resolve("clouds.yaml"), "clouds: {c: {auth: {auth_url: '" + openstack.baseUrl()
                + "/v3', username: admin, password: pw, project_name: admin}}}\n");
        return Files.writeString(dir.resolve("controller.yaml"), String.join("\n",
                "listen: 127.0.0.1:" + port, "dataDir: " + dir,
                "openstack: {cloudsYaml: clouds.yaml, cloud: c}",
                "agents:", "  auth: {clusterToken: " + LocalStatusApi.TOKEN + "}",
                "  endpoints: {compute1: '" + agents.url("compute1") + "', compute2: '"
                        + agents.url("compute2") + "', compute3: '" + agents.url("compute3") + "'}", ""));
    }

    /**
     * The cloud of {@link #cloud}, and controller-a's API serving what its round saw (as its
     * placement job runs it: every VM listed); its configuration in controller.yaml.
     */
    private StatusServer servingAfterARound() throws IOException {
        Detection detection = cloud();
        // The port is not known before it serves: the controller's objects are made first.
        Injector injector = ConfigOption.injector(new ConfigLoader().load(config(1)), detection);
        LastRound last = new LastRound();
        StatusServer serving = LocalStatusApi.start(new StatusServer.Sources(
                new JsonLinesHistory(dir.resolve("history.jsonl")), detection, injector.getInstance(Journal.class),
                TestMetrics.fresh(), last, injector.getInstance(ForcedDownHosts.class),
                Optional.of(new ActionsResource.Actions(injector.getInstance(ManualMoves.class),
                        injector.getInstance(ManualFences.class), injector.getInstance(FenceConfirmations.class),
                        injector.getInstance(BringBack.class), injector.getInstance(ProtectionChoices.class), () -> Duration.ofSeconds(5),
                        () -> injector.getInstance(EvaluationRound.class).run(RoundState.INITIAL, false, true)))),
                "controller-a");
        config(serving.port());
        last.record(injector.getInstance(EvaluationRound.class).run(RoundState.INITIAL, false, true), true);
        return serving;
    }

    private String[] run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int exit = Main.run(args, new PrintWriter(out, true), new PrintWriter(err, true));
        return new String[] {String.valueOf(exit), out.toString(), err.toString()};
    }

    @Test
    void aControllerThatHasRunNoRoundYetLeavesStatusToARoundOfItsOwnWithItsDetection() throws Exception {
        Detection detection = cloud();
        try (StatusServer serving = LocalStatusApi.start(new JsonLinesHistory(dir.resolve("history.jsonl")), detection,
                "controller-a")) {
            String config = config(serving.port()).toString();
            String[] status = run("status", "--config", config);
            assertThat(status[2]).isEmpty();
            assertThat(status[0]).isEqualTo("0");
            assertThat(status[1]).startsWith("as seen by this command's own round at ")
                    .contains("note: the serving controller's status could not be read (http://127.0.0.1:"
                            + serving.port() + "/v1/status: HTTP 503: controller controller-a has not run a round "
                            + "that read Nova yet): a round of this command's own")
                    .containsPattern("compute1 +FAILED +FAILED .*failed: agent missed 3 probes in a "
                    + "row \\(connection refused\\); nova-compute silent for 30s \\(report interval 10s \\+ margin 2s\\)")
                    .containsPattern("compute2 +OK +SUSPECT .*suspect: agent missed 3 probes in a row")
                    .containsPattern("compute3 +OK +OK ")
                    .containsPattern(VM + " +db +compute1 +compute3 \\(2(\\.0)?s, v" + FakeAgents.VERSION
                            + "\\) +MOVE to compute3");

            String[] json = run("status", "--json", "--config", config);
            JsonNode doc = JsonLinesHistory.mapper().readTree(json[1]);
            assertThat(doc.path("instance").asText()).isEqualTo("local");
            assertThat(doc.path("detection").path("instance").asText()).isEqualTo("controller-a");
            assertThat(doc.path("hosts").get(1).path("detection").path("state").asText()).isEqualTo("SUSPECT");
        }
    }

    @Test
    void statusShowsWhatTheServingControllerSawWithoutReadingNovaItself() throws Exception {
        try (StatusServer serving = servingAfterARound()) {
            Path config = dir.resolve("controller.yaml");
            openstack.stop();

            String[] status = run("status", "--config", config.toString());
            assertThat(status[2]).isEmpty();
            assertThat(status[0]).isEqualTo("0");
            assertThat(status[1]).startsWith("as seen by controller controller-a at ")
                    .doesNotContain("note:")
                    .containsPattern("compute1 +FAILED +FAILED .*failed: agent missed 3 probes in a row")
                    .containsPattern(VM + " +db +compute1 +compute3 \\(2(\\.0)?s, v" + FakeAgents.VERSION
                            + "\\) +MOVE to compute3");
            JsonNode doc = JsonLinesHistory.mapper().readTree(run("status", "--json", "--config", config.toString())[1]);
            assertThat(doc.path("instance").asText()).isEqualTo("controller-a");
            JsonNode vm = doc.path("vms").path(0);
            assertThat(vm.path("reasons").toString()).contains("failed");
            assertThat(vm.path("candidates").findValuesAsText("host")).containsExactly("compute3");
            assertThat(vm.path("whyNot").isEmpty()).as("why not each host: in one VM's report only").isTrue();

            // --local reads Nova now, which is gone: Nova could not be read, exit 4.
            String[] local = run("status", "--local", "--config", config.toString());
            assertThat(local[0]).as(local[2]).isEqualTo(String.valueOf(Main.EXIT_UNAVAILABLE));
        }
    }

    @Test
    void theApiAnswersEachHostAndVmAndRefusesBadInputWithTheFieldNamed() throws Exception {
        try (StatusServer serving = servingAfterARound()) {
            String base = "http://127.0.0.1:" + serving.port();

            HttpResponse<String> host = get(base + "/v1/hosts/compute1", LocalStatusApi.TOKEN);
            assertThat(host.statusCode()).isEqualTo(200);
            assertThat(JsonLinesHistory.mapper().readTree(host.body()).path("state").asText()).isEqualTo("FAILED");
            JsonNode vm = JsonLinesHistory.mapper().readTree(get(base + "/v1/vms/" + VM, LocalStatusApi.TOKEN).body());
            assertThat(vm.path("decision").asText()).isEqualTo("MOVE");
            assertThat(vm.path("whyNot").path("compute2").asText()).isEqualTo("holds no replica of it");
            assertThat(vm.path("replicas").path(0).path("version").asLong()).as("as compute3's agent reported it")
                    .isEqualTo(FakeAgents.VERSION);
            assertThat(JsonLinesHistory.mapper().readTree(get(base + "/v1/vms", LocalStatusApi.TOKEN).body())
                    .path("vms").findValuesAsText("id")).containsExactly(VM.toString());

            assertThat(get(base + "/v1/vms/not-a-uuid", LocalStatusApi.TOKEN)).satisfies(r -> {
                assertThat(r.statusCode()).isEqualTo(400);
                assertThat(r.body()).contains("vm: 'not-a-uuid' is not a server's UUID");
            });
            UUID other = UUID.randomUUID();
            assertThat(get(base + "/v1/vms/" + other, LocalStatusApi.TOKEN)).satisfies(r -> {
                assertThat(r.statusCode()).isEqualTo(404);
                assertThat(r.body()).contains("vm " + other + ": not a protected VM in the last round");
            });
            assertThat(get(base + "/v1/hosts/compute9", LocalStatusApi.TOKEN).statusCode()).isEqualTo(404);
            assertThat(get(base + "/v1/rounds?last=0", LocalStatusApi.TOKEN)).satisfies(r -> {
                assertThat(r.statusCode()).isEqualTo(400);
                assertThat(r.body()).contains("last: '0' is not a number of rounds from 1 to 1000");
            });
            // A dry run now: every VM decided on, nothing done.
            HttpResponse<String> plan = get(base + "/v1/plan", LocalStatusApi.TOKEN);
            assertThat(plan.statusCode()).as(plan.body()).isEqualTo(200);
            assertThat(JsonLinesHistory.mapper().readTree(plan.body()).path("vms").path(0).path("decision").asText())
                    .isEqualTo("MOVE");
            assertThat(Files.exists(dir.resolve("moves"))).as("the plan moved nothing").isFalse();
            openstack.stop();
            HttpResponse<String> noNova = get(base + "/v1/plan", LocalStatusApi.TOKEN);
            assertThat(noNova.statusCode()).as(noNova.body()).isEqualTo(503);
            assertThat(get(base + "/v1/status", "not-the-token").statusCode()).isEqualTo(401);
            assertThat(get(base + "/v1/vms", null).statusCode()).isEqualTo(401);
        }
    }

    @Test
    void anOperatorsActionsThroughTheApiAreCheckedAtOnceAndRefusedWithTheReason() throws Exception {
        try (StatusServer serving = servingAfterARound()) {
            String base = "http://127.0.0.1:" + serving.port();
            // compute3's agent answers: it is not powered off.
            assertThat(send("POST", base + "/v1/hosts/compute3/fence", "{\"note\": \"pulled the cords\"}"))
                    .satisfies(r -> {
                        assertThat(r.statusCode()).as(r.body()).isEqualTo(409);
                        assertThat(r.body()).contains("compute3's agent answers at ");
                    });
            assertThat(send("POST", base + "/v1/hosts/compute9/fence", "{}").statusCode()).isEqualTo(404);
            HttpResponse<String> fenced = send("POST", base + "/v1/hosts/compute1/fence",
                    "{\"note\": \"pulled the cords\"}");
            assertThat(fenced.statusCode()).as(fenced.body()).isEqualTo(201);
            assertThat(JsonLinesHistory.mapper().readTree(fenced.body()).path("by").asText())
                    .isEqualTo("the cluster token");
            assertThat(dir.resolve("fences/compute1.json")).exists();
            assertThat(send("DELETE", base + "/v1/hosts/compute1/fence", null).statusCode()).isEqualTo(200);
            assertThat(dir.resolve("fences/compute1.json")).doesNotExist();
            assertThat(send("DELETE", base + "/v1/hosts/compute1/fence", null).statusCode()).isEqualTo(404);

            assertThat(send("POST", base + "/v1/hosts/compute1/bring-back", null)).satisfies(r -> {
                assertThat(r.statusCode()).isEqualTo(404);
                assertThat(r.body()).contains("not forced down by a failover of this controller");
            });
            assertThat(send("POST", base + "/v1/vms/" + VM + "/migrate", "{}")).satisfies(r -> {
                assertThat(r.statusCode()).isEqualTo(400);
                assertThat(r.body()).contains("to: missing");
            });
            assertThat(send("POST", base + "/v1/vms/" + VM + "/migrate", "{\"to\": \"compute1\"}")).satisfies(r -> {
                assertThat(r.statusCode()).isEqualTo(400);
                assertThat(r.body()).contains("runs on compute1 already");
            });
            assertThat(send("POST", base + "/v1/vms/" + VM + "/migrate", "{\"to\": \"compute9\"}").statusCode())
                    .isEqualTo(404);
            assertThat(send("POST", base + "/v1/vms/" + UUID.randomUUID() + "/failover", "{}").statusCode())
                    .isEqualTo(404);
            assertThat(send("POST", base + "/v1/vms/nope/failover", "{}").statusCode()).isEqualTo(400);
            assertThat(send("POST", base + "/v1/vms/" + VM + "/migrate", "{\"to\": ").statusCode())
                    .as("a body that is not JSON").isEqualTo(400);
            assertThat(Files.exists(dir.resolve("moves"))).as("no move was begun").isFalse();

            // Checked, then handed to the controller: 202, and the move is journaled and run. This
            // Nova has no migration of it and refuses the live migration (nothing answers its
            // action), so the move stops there.
            openstack.stubFor(WireMock.get(urlPathEqualTo("/v2.1/os-migrations")).willReturn(okJson("{\"migrations\": []}")));
            HttpResponse<String> asked = send("POST", base + "/v1/vms/" + VM + "/migrate", "{\"to\": \"compute3\"}");
            assertThat(asked.statusCode()).as(asked.body()).isEqualTo(202);
            assertThat(JsonLinesHistory.mapper().readTree(asked.body()).path("move").asText())
                    .isEqualTo("live migration of " + VM + " compute1 -> compute3");
            await("the move ended").atMost(Duration.ofSeconds(20)).until(() -> Files.isDirectory(dir.resolve("moves/ended")));
            try (var ended = Files.list(dir.resolve("moves/ended"))) {
                MoveState move = JsonLinesHistory.mapper().readValue(ended.findFirst().orElseThrow().toFile(),
                        MoveState.class);
                assertThat(move.plan().reason()).isEqualTo("by hand, asked through the API by the cluster token");
                assertThat(move.status()).as(move.summary()).isEqualTo(MoveState.Status.STOPPED);
            }
            // A move left for an operator (that one, journaled as needing one) refuses the next at once.
            try (var ended = Files.list(dir.resolve("moves/ended"))) {
                Path done = ended.findFirst().orElseThrow();
                MoveState stopped = JsonLinesHistory.mapper().readValue(done.toFile(), MoveState.class);
                Files.writeString(dir.resolve("moves/" + VM + ".json"), JsonLinesHistory.mapper()
                        .writeValueAsString(stopped).replace("\"STOPPED\"", "\"NEEDS_OPERATOR\""));
            }
            long movesBefore;
            try (var ended = Files.list(dir.resolve("moves/ended"))) {
                movesBefore = ended.count();
            }
            assertThat(send("POST", base + "/v1/vms/" + VM + "/migrate", "{\"to\": \"compute3\"}")).satisfies(r -> {
                assertThat(r.statusCode()).as(r.body()).isEqualTo(409);
                assertThat(r.body()).contains("live migration of " + VM + " compute1 -> compute3 stopped and needs an "
                        + "operator");
            });
            String held = Files.readString(dir.resolve("moves/" + VM + ".json"));
            // Refused at once: nothing begins behind the answer either, however long one looks.
            await("no move begun behind the 409").during(Duration.ofMillis(500)).atMost(Duration.ofSeconds(2))
                    .until(() -> {
                        try (var ended = Files.list(dir.resolve("moves/ended"))) {
                            return ended.count() == movesBefore
                                    && Files.readString(dir.resolve("moves/" + VM + ".json")).equals(held);
                        }
                    });
        }
    }

    @Test
    void anOperatorsProtectOrUnprotectOutweighsTheRulesUntilItIsForgotten() throws Exception {
        try (StatusServer serving = servingAfterARound()) {
            String base = "http://127.0.0.1:" + serving.port();
            assertThat(planned(base)).as("its flavor protects it").contains(VM.toString());

            // The JDK's client asks to upgrade to h2c with the body: refused with why, nothing recorded.
            HttpResponse<String> upgraded = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                    URI.create(base + "/v1/vms/" + VM + "/unprotect")).header("Authorization", "Bearer "
                    + LocalStatusApi.TOKEN).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString("{}")).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(upgraded.statusCode()).as(upgraded.body()).isEqualTo(400);
            assertThat(upgraded.body()).contains("this API speaks HTTP/1.1");
            assertThat(dir.resolve("protection")).doesNotExist();

            HttpResponse<String> unprotected = send("POST", base + "/v1/vms/" + VM + "/unprotect",
                    "{\"note\": \"decommissioned next week\"}");
            assertThat(unprotected.statusCode()).as(unprotected.body()).isEqualTo(200);
            JsonNode choice = JsonLinesHistory.mapper().readTree(unprotected.body());
            assertThat(choice.path("protect").asBoolean(true)).isFalse();
            assertThat(choice.path("by").asText()).isEqualTo("the cluster token");
            assertThat(choice.path("note").asText()).isEqualTo("decommissioned next week");
            assertThat(dir.resolve("protection/" + VM + ".json")).exists();
            assertThat(planned(base)).as("the operator's choice outweighs the flavor").doesNotContain(VM.toString());
            assertThat(get(base + "/v1/vms/" + VM + "/protection", LocalStatusApi.TOKEN).body())
                    .contains("\"protect\":false");

            UUID unknown = UUID.randomUUID();
            assertThat(send("POST", base + "/v1/vms/" + unknown + "/protect", null)).satisfies(r -> {
                assertThat(r.statusCode()).as(r.body()).isEqualTo(404);
                assertThat(r.body()).contains("Nova knows no server " + unknown);
            });
            assertThat(dir.resolve("protection/" + unknown + ".json")).as("nothing recorded").doesNotExist();
            assertThat(send("POST", base + "/v1/vms/nope/protect", null).statusCode()).isEqualTo(400);

            assertThat(send("DELETE", base + "/v1/vms/" + VM + "/protection", null).statusCode()).isEqualTo(200);
            assertThat(dir.resolve("protection/" + VM + ".json")).doesNotExist();
            assertThat(planned(base)).as("the rules decide again").contains(VM.toString());
            assertThat(send("DELETE", base + "/v1/vms/" + VM + "/protection", null).statusCode()).isEqualTo(404);
            assertThat(get(base + "/v1/vms/" + VM + "/protection", LocalStatusApi.TOKEN).statusCode()).isEqualTo(404);

            // The same choice from the command line, into the same records.
            String config = dir.resolve("controller.yaml").toString();
            String[] unprotect = run("protection", "unprotect", VM.toString(), "--note", "by the CLI", "--config", config);
            assertThat(unprotect[0]).as(unprotect[2]).isEqualTo("0");
            assertThat(unprotect[1]).contains(VM + " (db) unprotected by ");
            assertThat(planned(base)).as("the API's controller reads the CLI's choice").doesNotContain(VM.toString());
            String[] missing = run("protection", "protect", unknown.toString(), "--config", config);
            assertThat(missing[0]).isEqualTo(String.valueOf(Main.EXIT_BAD_INPUT));
            assertThat(missing[2].strip()).isEqualTo("understudy: Nova knows no server " + unknown);
            assertThat(run("protection", "protect", "nope", "--config", config)[0])
                    .isEqualTo(String.valueOf(Main.EXIT_USAGE));
            assertThat(run("protection", "forget", VM.toString(), "--config", config)[1])
                    .contains("the operator's choice forgotten");
            assertThat(dir.resolve("protection")).isEmptyDirectory();
        }
    }

    /** The ids of the VMs GET /v1/plan decides on. */
    private static String planned(String base) throws Exception {
        HttpResponse<String> plan = get(base + "/v1/plan", LocalStatusApi.TOKEN);
        assertThat(plan.statusCode()).as(plan.body()).isEqualTo(200);
        return JsonLinesHistory.mapper().readTree(plan.body()).path("vms").findValuesAsText("id").toString();
    }

    private static HttpResponse<String> send(String method, String url, String body) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url))
                .header("Authorization", "Bearer " + LocalStatusApi.TOKEN);
        if (body != null) {
            request.header("Content-Type", "application/json");
        }
        return HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build().send(request.method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                : HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static HttpResponse<String> get(String url, String token) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url));
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
        }
        return HttpClient.newHttpClient().send(request.build(), HttpResponse.BodyHandlers.ofString());
    }
}
