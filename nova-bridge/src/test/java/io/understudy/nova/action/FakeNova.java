package io.understudy.nova.action;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.any;
import static com.github.tomakehurst.wiremock.client.WireMock.anyUrl;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.wireMockConfig;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.client.ResponseDefinitionBuilder;
import com.github.tomakehurst.wiremock.extension.ResponseDefinitionTransformerV2;
import com.github.tomakehurst.wiremock.http.Request;
import com.github.tomakehurst.wiremock.http.ResponseDefinition;
import com.github.tomakehurst.wiremock.stubbing.ServeEvent;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import io.understudy.nova.client.NovaClient;
import io.understudy.nova.keystone.ComputeSession;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A Nova of one server and a few compute hosts on WireMock, for what a real Nova will not do
 * on demand: its moves walk through scripted statuses, one per read of {@code /os-migrations},
 * and faults (5xx, hangs, garbage, revoked tokens) are injected in front of its answers.
 * Only the calls the bridge makes are understood; anything else is a 501 the test will see.
 */
final class FakeNova implements ResponseDefinitionTransformerV2, AutoCloseable {

    static final UUID SERVER = UUID.fromString("3890a6fb-1ae6-48ba-a9df-ce9fff575b63");
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern SERVER_PATH = Pattern.compile("/v2\\.1/servers/([0-9a-f-]{36})(/.*)?");

    /** A fault in front of the requests whose "METHOD path" starts with PREFIX. */
    record Fault(String prefix, int times, int status, String body, int delayMillis, boolean novaActsFirst) {
    }

    final WireMockServer wireMock = new WireMockServer(wireMockConfig().dynamicPort().extensions(this));

    // The server.
    String host = "compute1";
    String status = "ACTIVE";
    String task;
    long ramMiB = 1024;
    final Map<String, String> metadata = new LinkedHashMap<>(Map.of("owner", "db-team"));

    /** Statuses a new record walks through, one per read; the last one stays. */
    List<String> liveMigrationScript = List.of("accepted", "running", "completed");
    List<String> evacuationScript = List.of("accepted", "pre-migrating", "done");
    /** What the failed event of a move's action says, when its record ends in error or failed. */
    String failureDetails = "No valid host was found. There are not enough hosts available.";

    final List<Move> migrations = new ArrayList<>();
    final Map<String, Service> services = new LinkedHashMap<>();
    final List<Action> actions = new ArrayList<>();
    final Set<String> revokedTokens = new HashSet<>();
    /** Revoked as soon as a move is accepted: the token expires in the middle of the move. */
    Optional<String> revokeOnMove = Optional.empty();
    /** Armed as soon as a move is accepted: faults while it is followed. */
    final List<Fault> faultsOnMove = new ArrayList<>();
    private final Deque<Fault> faults = new ArrayDeque<>();
    private final List<String> tokens = new ArrayList<>();
    private int requestIds;
    /** Nova's id of the request being answered: one per HTTP request, whatever answers it. */
    private String requestId;

    static final class Move {
        final long id;
        final String type;
        final String source;
        final String dest;
        final List<String> script;
        final Instant createdAt;
        int step;
        String override;

        Move(long id, String type, String source, String dest, List<String> script, Instant createdAt) {
            this.id = id;
            this.type = type;
            this.source = source;
            this.dest = dest;
            this.script = script;
            this.createdAt = createdAt;
        }

        String status() {
            return override != null ? override : script.get(Math.min(step, script.size() - 1));
        }
    }

    static final class Service {
        final UUID id = UUID.randomUUID();
        /** A nova-compute that still runs: each read finds a fresh report, forced down or not. */
        boolean reporting;
        boolean up = true;
        boolean forcedDown;
        /** Nova's disabled_reason while disabled; null while enabled. */
        boolean disabled;
        String disabledReason;
        Instant updatedAt = Instant.now();
    }

    record Action(String action, String requestId, boolean failed) {
    }

    FakeNova(String... hosts) {
        for (String name : hosts) {
            services.put(name, new Service());
        }
        wireMock.start();
        wireMock.stubFor(any(anyUrl()).willReturn(aResponse().withStatus(501)));
    }

    /** A client of this Nova whose logins hand out token-1, token-2, ... */
    NovaClient client(Duration requestTimeout) {
        URI endpoint = URI.create(wireMock.baseUrl() + "/v2.1");
        return new NovaClient(() -> {
            synchronized (this) {
                tokens.add("token-" + (tokens.size() + 1));
                return new ComputeSession(tokens.get(tokens.size() - 1), Instant.now().plus(Duration.ofHours(1)), endpoint);
            }
        }, HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build(), requestTimeout, Clock.systemUTC());
    }

    synchronized List<String> tokensIssued() {
        return List.copyOf(tokens);
    }

    synchronized void fault(Fault fault) {
        faults.add(fault);
    }

    /** The next TIMES requests starting with PREFIX are answered STATUS, and Nova does nothing. */
    void failing(String prefix, int times, int status) {
        fault(new Fault(prefix, times, status, "{\"computeFault\": {\"code\": " + status + ", \"message\": \"busy\"}}",
                0, false));
    }

    /** A move already in Nova, as another controller (or this one before a restart) left it a second ago. */
    synchronized Move existing(String type, String source, String dest, List<String> script) {
        return existing(type, source, dest, script, Instant.now().minusSeconds(1));
    }

    synchronized Move existing(String type, String source, String dest, List<String> script, Instant createdAt) {
        Move move = new Move(migrations.size() + 1L, type, source, dest, script, createdAt);
        migrations.add(move);
        actions.add(new Action(actionOf(type), "req-earlier-" + move.id,
                script.get(script.size() - 1).matches("error|failed")));
        if (!ended(move)) {
            task = type.equals("evacuation") ? "rebuilding" : "migrating";
        }
        return move;
    }

    /** The requests whose "METHOD url" start with PREFIX that reached this Nova. */
    List<LoggedRequest> received(String prefix) {
        return wireMock.findAll(com.github.tomakehurst.wiremock.client.WireMock.anyRequestedFor(anyUrl())).stream()
                .filter(r -> (r.getMethod().getName() + " " + r.getUrl()).startsWith(prefix)).toList();
    }

    @Override
    public void close() {
        wireMock.stop();
    }

    @Override
    public String getName() {
        return "fake-nova";
    }

    @Override
    public synchronized ResponseDefinition transform(ServeEvent event) {
        Request request = event.getRequest();
        requestId = "req-" + (++requestIds);
        String what = request.getMethod().getName() + " " + request.getUrl();
        String token = request.getHeader("X-Auth-Token");
        if (token == null || revokedTokens.contains(token)) {
            return answer(401, "{\"error\": {\"code\": 401, \"message\": \"The request you have made requires authentication.\"}}")
                    .build();
        }
        Fault fault = faults.stream().filter(f -> what.startsWith(f.prefix())).findFirst().orElse(null);
        if (fault != null) {
            faults.remove(fault);
            if (fault.times() > 1) {
                faults.addFirst(new Fault(fault.prefix(), fault.times() - 1, fault.status(), fault.body(),
                        fault.delayMillis(), fault.novaActsFirst()));
            }
            if (fault.novaActsFirst()) {
                handle(request);
            }
            return answer(fault.status(), fault.body()).withFixedDelay(fault.delayMillis()).build();
        }
        return handle(request).build();
    }

    private ResponseDefinitionBuilder answer(int status, String body) {
        return aResponse().withStatus(status).withHeader("Content-Type", "application/json")
                .withHeader("x-openstack-request-id", requestId).withBody(body);
    }

    private ResponseDefinitionBuilder handle(Request request) {
        String method = request.getMethod().getName();
        URI uri = URI.create(request.getUrl());
        String path = uri.getPath();
        Map<String, String> query = query(uri);
        try {
            if (path.equals("/v2.1/os-migrations") && method.equals("GET")) {
                return migrations(query);
            }
            if (path.equals("/v2.1/os-services") && method.equals("GET")) {
                return services(query);
            }
            if (path.startsWith("/v2.1/os-services/") && method.equals("PUT")) {
                return forceDown(path.substring("/v2.1/os-services/".length()), JSON.readTree(request.getBodyAsString()));
            }
            Matcher server = SERVER_PATH.matcher(path);
            if (server.matches() && UUID.fromString(server.group(1)).equals(SERVER)) {
                return server(method, Optional.ofNullable(server.group(2)).orElse(""), request);
            }
            return answer(404, "{\"itemNotFound\": {\"code\": 404, \"message\": \"" + method + " " + path + "\"}}");
        } catch (IOException e) {
            return answer(400, "{\"badRequest\": {\"code\": 400, \"message\": \"not JSON\"}}");
        }
    }

    private ResponseDefinitionBuilder server(String method, String rest, Request request) throws IOException {
        JsonNode body = method.equals("POST") || method.equals("PUT") ? JSON.readTree(request.getBodyAsString()) : null;
        if (rest.isEmpty() && method.equals("GET")) {
            ObjectNode server = JSON.createObjectNode().put("id", SERVER.toString()).put("name", "vm").put("status", status)
                    .put("OS-EXT-SRV-ATTR:host", host).put("OS-EXT-STS:task_state", task);
            server.putObject("flavor").put("ram", ramMiB).put("vcpus", 1).put("original_name", "m1");
            return answer(200, JSON.createObjectNode().set("server", server).toString());
        }
        if (rest.equals("/action") && body.has("os-migrateLive")) {
            return move("live-migration", body.path("os-migrateLive").path("host").asText(), liveMigrationScript);
        }
        if (rest.equals("/action") && body.has("evacuate")) {
            Service source = services.get(host);
            if (source.up && !source.forcedDown) {
                return answer(400, "{\"badRequest\": {\"code\": 400, \"message\": \"Compute service of " + host
                        + " is still in use.\"}}");
            }
            return move("evacuation", body.path("evacuate").path("host").asText(), evacuationScript);
        }
        Matcher progress = Pattern.compile("/migrations/(\\d+)").matcher(rest);
        if (progress.matches() && method.equals("GET")) {
            // As Nova: a live migration in progress, its figures growing with each read of its record.
            Move move = migrations.get(Integer.parseInt(progress.group(1)) - 1);
            if (!move.type.equals("live-migration") || !move.status().equals("running")) {
                return answer(404, "{\"itemNotFound\": {\"code\": 404, \"message\": \"In-progress live migration "
                        + move.id + " is not found for server " + SERVER + ".\"}}");
            }
            long total = ramMiB << 20;
            ObjectNode m = JSON.createObjectNode().put("id", move.id).put("status", move.status())
                    .put("memory_total_bytes", total).put("memory_processed_bytes", Math.min(total, total / 4 * move.step))
                    .put("memory_remaining_bytes", Math.max(0, total - total / 4 * move.step))
                    .put("disk_total_bytes", 1L << 30).put("disk_processed_bytes", (1L << 28) * move.step)
                    .putNull("disk_remaining_bytes");
            return answer(200, JSON.createObjectNode().set("migration", m).toString());
        }
        Matcher abort = Pattern.compile("/migrations/(\\d+)(/action)?").matcher(rest);
        if (abort.matches()) {
            Move move = migrations.get(Integer.parseInt(abort.group(1)) - 1);
            if (!move.status().equals("running")) {
                return answer(400, "{\"badRequest\": {\"code\": 400, \"message\": \"Migration " + move.id
                        + " state of instance " + SERVER + " is " + move.status() + ". Cannot " + method + "\"}}");
            }
            move.override = abort.group(2) == null ? "cancelled" : "completed";
            settle(move);
            return answer(202, "");
        }
        if (rest.equals("/metadata") && method.equals("POST")) {
            body.path("metadata").fields().forEachRemaining(e -> metadata.put(e.getKey(), e.getValue().asText()));
            ObjectNode answer = JSON.createObjectNode();
            metadata.forEach(answer.putObject("metadata")::put);
            return answer(200, answer.toString());
        }
        if (rest.equals("/os-instance-actions") && method.equals("GET")) {
            ArrayNode list = JSON.createArrayNode();
            for (int i = actions.size() - 1; i >= 0; i--) {
                list.add(action(actions.get(i), false));
            }
            return answer(200, JSON.createObjectNode().set("instanceActions", list).toString());
        }
        if (rest.startsWith("/os-instance-actions/") && method.equals("GET")) {
            String id = rest.substring("/os-instance-actions/".length());
            return actions.stream().filter(a -> a.requestId().equals(id)).findFirst()
                    .map(a -> answer(200, JSON.createObjectNode().set("instanceAction", action(a, true)).toString()))
                    .orElse(answer(404, "{\"itemNotFound\": {\"code\": 404, \"message\": \"no action " + id + "\"}}"));
        }
        return answer(501, "{}");
    }

    private ResponseDefinitionBuilder move(String type, String dest, List<String> script) {
        if (!services.containsKey(dest)) {
            return answer(400, "{\"badRequest\": {\"code\": 400, \"message\": \"Compute host " + dest
                    + " could not be found.\"}}");
        }
        if (task != null) {
            return answer(409, "{\"conflictingRequest\": {\"code\": 409, \"message\": \"Cannot '" + type
                    + "' instance " + SERVER + " while it is in task_state " + task + "\"}}");
        }
        Move move = new Move(migrations.size() + 1L, type, host, dest, script, Instant.now());
        migrations.add(move);
        task = type.equals("evacuation") ? "rebuilding" : "migrating";
        status = type.equals("evacuation") ? "REBUILD" : "MIGRATING";
        actions.add(new Action(actionOf(type), requestId,
                script.get(script.size() - 1).matches("error|failed")));
        revokeOnMove.ifPresent(revokedTokens::add);
        faults.addAll(faultsOnMove);
        return answer(type.equals("evacuation") ? 200 : 202, "");
    }

    private ResponseDefinitionBuilder migrations(Map<String, String> query) {
        ArrayNode list = JSON.createArrayNode();
        for (int i = migrations.size() - 1; i >= 0; i--) {
            Move move = migrations.get(i);
            boolean matches = Optional.ofNullable(query.get("instance_uuid")).map(SERVER.toString()::equals).orElse(true)
                    && Optional.ofNullable(query.get("migration_type")).map(move.type::equals).orElse(true)
                    && Optional.ofNullable(query.get("status")).map(move.status()::equals).orElse(true)
                    && Optional.ofNullable(query.get("source_compute")).map(move.source::equals).orElse(true);
            if (matches) {
                list.add(JSON.createObjectNode().put("id", move.id).put("instance_uuid", SERVER.toString())
                        .put("migration_type", move.type).put("status", move.status())
                        .put("source_compute", move.source).put("dest_compute", move.dest)
                        .put("created_at", move.createdAt.toString().replace("Z", "")).putNull("updated_at"));
            }
        }
        String answer = JSON.createObjectNode().set("migrations", list).toString();
        if (query.containsKey("instance_uuid")) {
            migrations.forEach(this::advance);
        }
        return answer(200, answer);
    }

    /** One step further along its script; a move that ended leaves the server where it says. */
    private void advance(Move move) {
        if (ended(move)) {
            return;
        }
        move.step++;
        settle(move);
    }

    private void settle(Move move) {
        if (ended(move)) {
            task = null;
            status = "ACTIVE";
            if (move.status().equals("completed") || move.status().equals("done")) {
                host = move.dest;
            }
        }
    }

    /** The name Nova's action log gives a move of TYPE. */
    private static String actionOf(String type) {
        return switch (type) {
            case "evacuation" -> "evacuate";
            case "live-migration" -> "live-migration";
            default -> "migrate";
        };
    }

    private static boolean ended(Move move) {
        return switch (move.type) {
            case "evacuation" -> move.status().matches("done|completed|error|failed");
            case "live-migration" -> move.status().matches("completed|error|failed|cancelled");
            default -> move.status().matches("confirmed|reverted|error|failed");
        };
    }

    private ResponseDefinitionBuilder services(Map<String, String> query) {
        ArrayNode list = JSON.createArrayNode();
        services.forEach((name, service) -> {
            if (Optional.ofNullable(query.get("host")).map(name::equals).orElse(true)) {
                if (service.reporting) {
                    service.updatedAt = Instant.now();
                }
                list.add(service(name, service));
            }
        });
        return answer(200, JSON.createObjectNode().set("services", list).toString());
    }

    private ResponseDefinitionBuilder forceDown(String id, JsonNode body) {
        Map.Entry<String, Service> found = services.entrySet().stream()
                .filter(e -> e.getValue().id.toString().equals(id)).findFirst().orElse(null);
        if (found == null) {
            return answer(404, "{\"itemNotFound\": {\"code\": 404, \"message\": \"Service " + id + " not found.\"}}");
        }
        Service service = found.getValue();
        boolean forcedDown = body.path("forced_down").asBoolean(service.forcedDown);
        if (body.has("forced_down") && !forcedDown && migrations.stream().anyMatch(m -> m.type.equals("evacuation")
                && m.source.equals(found.getKey()) && m.status().equals("done"))) {
            return answer(400, "{\"badRequest\": {\"code\": 400, \"message\": \"Unable to force up host "
                    + found.getKey() + " as `done` evacuation migration records remain associated with the host.\"}}");
        }
        service.forcedDown = forcedDown;
        if (body.has("status")) {
            // As Nova's 2.53 update: enabling clears the reason.
            service.disabled = body.path("status").asText().equals("disabled");
            service.disabledReason = service.disabled ? body.path("disabled_reason").textValue() : null;
        }
        // As in Nova: the row is saved, so updated_at is now, whether the compute reports or not.
        found.getValue().updatedAt = Instant.now();
        return answer(200, JSON.createObjectNode().set("service", service(found.getKey(), found.getValue())).toString());
    }

    private static ObjectNode service(String name, Service service) {
        return JSON.createObjectNode().put("id", service.id.toString()).put("binary", "nova-compute").put("host", name)
                .put("status", service.disabled ? "disabled" : "enabled").put("disabled_reason", service.disabledReason)
                .put("state", service.up && !service.forcedDown ? "up" : "down")
                .put("forced_down", service.forcedDown)
                .put("updated_at", service.updatedAt.toString().replace("Z", ""));
    }

    private ObjectNode action(Action action, boolean withEvents) {
        ObjectNode node = JSON.createObjectNode().put("action", action.action()).put("request_id", action.requestId())
                .put("instance_uuid", SERVER.toString()).put("start_time", "2026-11-29T05:55:43.000000")
                .put("message", action.failed() ? "Error" : null);
        if (withEvents) {
            ObjectNode event = node.putArray("events").addObject().put("event", "conductor_" + action.action())
                    .put("result", action.failed() ? "Error" : "Success");
            if (action.failed()) {
                event.put("details", failureDetails);
            }
        }
        return node;
    }

    private static Map<String, String> query(URI uri) {
        Map<String, String> query = new LinkedHashMap<>();
        if (uri.getQuery() != null) {
            for (String pair : uri.getQuery().split("&")) {
                String[] kv = pair.split("=", 2);
                query.put(kv[0], kv.length > 1 ? kv[1] : "");
            }
        }
        return query;
    }
}
