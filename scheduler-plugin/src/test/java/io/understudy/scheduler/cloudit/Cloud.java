package io.understudy.scheduler.cloudit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.understudy.nova.action.ActionSettings;
import io.understudy.nova.action.ForceDown;
import io.understudy.nova.client.Microversion;
import io.understudy.nova.client.NovaClient;
import io.understudy.nova.client.NovaException;
import io.understudy.nova.cloud.CloudConfig;
import io.understudy.nova.cloud.CloudConfigLoader;
import io.understudy.nova.state.ComputeServices;
import io.understudy.nova.state.Server;
import io.understudy.nova.state.Servers;
import io.understudy.scheduler.testing.AgentDaemons;
import io.understudy.scheduler.testing.AgentDaemons;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The single-machine cloud as these tests use it: its clouds.yaml, a Nova client, servers, MariaDB,
 * and its script for what only the machine can do (crash a compute, start it again).
 */
final class Cloud {

    static final String CLOUD = System.getProperty("understudy.cloud.name", "understudy");
    /**
     * The cloud the controllers of these tests log in as: not an admin, with the roles service and
     * understudy and Nova's policy for them (etc/nova/policy.d/understudy.yaml), as the README's
     * "Least privilege" has operators run it. The tests' own set-up stays the admin's.
     */
    static final String CONTROLLER_CLOUD = System.getProperty("understudy.controller.cloud",
            "understudy-controller");
    /** Names every server these tests make, so that a crashed run's leftovers are found and removed. */
    static final String PREFIX = "understudy-sp-it-";
    /** Where {@link #agentsInHosts} agents keep their data, in each host's instances path. */
    private static final String AGENT_DATA = ".understudy-it";

    private static final Microversion BOOT = new Microversion(2, 74);
    /** Server actions: 2.91 lets an unshelve name its host (Debian 12's Nova 26 goes to 2.93). */
    private static final Microversion ACTIONS = new Microversion(2, 91);
    private static final Microversion BASE = new Microversion(2, 1);
    /** From 2.53 a compute service is addressed by its UUID ({@code PUT /os-services/{id}}). */
    private static final Microversion SERVICES = new Microversion(2, 53);

    final Path cloudsYaml;
    final NovaClient nova;

    Cloud() {
        String file = System.getProperty("understudy.cloud.config");
        assertThat(file).as("system property understudy.cloud.config (the cloud's clouds.yaml)").isNotBlank();
        cloudsYaml = Path.of(file);
        CloudConfig config = new CloudConfigLoader(Map.of("OS_CLIENT_CONFIG_FILE", file), List.of())
                .load(Optional.of(CLOUD));
        nova = NovaClient.create(config, Duration.ofSeconds(60));
    }

    /**
     * A rules file's {@code protect:} line that lets tenants opt in with server metadata
     * {@code understudy:protect=true}, as these tests' servers do; without it only a flavor's
     * extra spec protects.
     */
    static final String TENANTS_OPT_IN = "protect: [{metadata: {\"understudy:protect\": \"true\"}}]\n";

    /** The flavor {@link #protectedFlavor()} makes. */
    static final String PROTECTED_FLAVOR = PREFIX + "tiny.protected";

    /** Boots the cloud's tiny image on HOST with this metadata, without a network. */
    UUID boot(String name, String host, Map<String, String> metadata) {
        return boot(name, host, "understudy-tiny", "understudy.tiny", metadata);
    }

    /** Boots the tiny image on HOST with the flavor {@link #protectedFlavor()} makes, and no metadata. */
    UUID bootProtectedFlavor(String name, String host) {
        protectedFlavor();
        return boot(name, host, "understudy-tiny", PROTECTED_FLAVOR, Map.of());
    }

    /**
     * Makes, unless Nova has it, a flavor as small as understudy.tiny with the extra spec
     * {@code understudy:protect=true}: what an operator does to protect a flavor's servers.
     */
    void protectedFlavor() {
        for (JsonNode f : nova.get("/flavors", BASE).path("flavors")) {
            if (f.path("name").asText().equals(PROTECTED_FLAVOR)) {
                return;
            }
        }
        ObjectNode body = JsonNodeFactory.instance.objectNode();
        body.putObject("flavor").put("name", PROTECTED_FLAVOR).put("ram", 64).put("vcpus", 1).put("disk", 1);
        String id = nova.post("/flavors", BASE, body).path("flavor").path("id").asText();
        ObjectNode specs = JsonNodeFactory.instance.objectNode();
        specs.putObject("extra_specs").put("understudy:protect", "true");
        nova.post("/flavors/" + id + "/os-extra_specs", BASE, specs);
    }

    /**
     * Boots the tiny writer guest (devstack/tiny-guest) on HOST: on libvirt computes a real QEMU
     * guest that writes numbered records to its root disk.
     */
    UUID bootGuest(String name, String host, Map<String, String> metadata) {
        return boot(name, host, "understudy-guest", "understudy.guest", metadata);
    }

    private UUID boot(String name, String host, String image, String flavor, Map<String, String> metadata) {
        ObjectNode body = JsonNodeFactory.instance.objectNode();
        ObjectNode server = body.putObject("server").put("name", PREFIX + name)
                .put("imageRef", idNamed("/images", "images", image))
                .put("flavorRef", idNamed("/flavors", "flavors", flavor))
                .put("networks", "none").put("host", host);
        ObjectNode md = server.putObject("metadata");
        metadata.forEach(md::put);
        return UUID.fromString(nova.post("/servers", BOOT, body).path("server").path("id").asText());
    }

    Server show(UUID server) {
        return new Servers(nova).show(server).orElseThrow();
    }

    /** Deletes SERVER and waits until Nova no longer lists it. */
    void deleteAndWait(UUID server) {
        delete(server);
        await(server + " deleted").atMost(Duration.ofSeconds(120))
                .until(() -> new Servers(nova).show(server).isEmpty());
    }

    /** A server action ({@code POST /servers/ID/action}), e.g. {@code {"reboot": {"type": "HARD"}}}. */
    void action(UUID server, String json) {
        try {
            nova.post("/servers/" + server + "/action", ACTIONS, new com.fasterxml.jackson.databind.ObjectMapper()
                    .readTree(json));
        } catch (IOException e) {
            throw new IllegalArgumentException("not JSON: " + json, e);
        }
    }

    /** Deletes every image named NAME (through Nova's image proxy, as the tests' snapshots are named). */
    void deleteImages(String name) {
        for (JsonNode item : nova.get("/images", BASE).path("images")) {
            if (name.equals(item.path("name").asText())) {
                nova.delete("/images/" + item.path("id").asText(), BASE);
            }
        }
    }

    /** SERVER as Nova shows it now (status, task state, host, fault). */
    JsonNode server(UUID server) {
        return nova.get("/servers/" + server, BOOT).path("server");
    }

    /** Which driver the cloud's computes run: "libvirt" or "fake" (devstack/local-cloud.sh up --virt). */
    String virt() {
        Path file = state().resolve("virt");
        try {
            return Files.isRegularFile(file) ? Files.readString(file).strip() : "fake";
        } catch (IOException e) {
            throw new IllegalStateException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    /**
     * A real agent per host of libvirt computes, each inside its host's namespace (the command run
     * with nsenter beside its libvirtd, {@code qemu:///system} there) with its data in the host's
     * instances path: a hard link (preserve, staging) cannot cross mounts.
     */
    AgentDaemons agentsInHosts(List<String> hosts, Path dir) throws IOException {
        Path instances = state().resolve("instances");
        return new AgentDaemons(hosts, dir, host -> new AgentDaemons.Node(instances, instances.resolve(AGENT_DATA),
                "qemu:///system", inHost(host)));
    }

    /** Removes what {@link #agentsInHosts} kept in each host's storage. */
    void removeAgentData(List<String> hosts) throws IOException {
        for (String host : hosts) {
            Path data = state().resolve("hosts").resolve(host).resolve("instances").resolve(AGENT_DATA);
            if (Files.exists(data)) {
                try (var all = Files.walk(data)) {
                    for (Path p : all.sorted(java.util.Comparator.reverseOrder()).toList()) {
                        Files.deleteIfExists(p);
                    }
                }
            }
        }
    }

    /** The command prefix that runs a program inside HOST's namespace, beside its libvirtd and storage. */
    private List<String> inHost(String host) {
        String pid = run(List.of("bash", script().resolveSibling("libvirt-host.sh").toString(), "pid",
                state().resolve("hosts").resolve(host).toString())).strip();
        return List.of("nsenter", "-t", pid, "-m", "-u", "--");
    }

    /** The guest's console log on its current host, as Nova has it (its last 200 lines). */
    String console(UUID server) {
        ObjectNode body = JsonNodeFactory.instance.objectNode();
        body.putObject("os-getConsoleOutput").put("length", 200);
        return nova.post("/servers/" + server + "/action", BOOT, body).path("output").asText();
    }

    /**
     * The number of the last whole line of the tiny guest's (devstack/tiny-guest/init.sh) console
     * LOG that says WHAT: "resume" (once per boot: the newest record its disk held) or "record"
     * (once each record is durable); -1 if none.
     */
    static long lastGuestLine(String log, String what) {
        Pattern line = Pattern.compile(what.equals("resume") ? "understudy-guest resume (\\d+)"
                : "understudy-record (\\d+) slot \\d+");
        long last = -1;
        for (String l : log.split("\r?\n")) {
            Matcher m = line.matcher(l.strip());
            if (m.matches()) {
                last = Long.parseLong(m.group(1));
            }
        }
        return last;
    }

    String status(UUID server) {
        return nova.get("/servers/" + server, BASE).path("server").path("status").asText();
    }

    void delete(UUID server) {
        try {
            nova.delete("/servers/" + server, BASE);
        } catch (NovaException e) {
            if (e.status().orElse(0) != 404) {
                throw e;
            }
        }
    }

    List<UUID> leftovers() {
        List<UUID> found = new ArrayList<>();
        nova.get("/servers?all_tenants=1&name=%5E" + PREFIX, BASE).path("servers")
                .forEach(s -> found.add(UUID.fromString(s.path("id").asText())));
        return found;
    }

    /** The id of the image named NAME. */
    String imageId(String name) {
        return idNamed("/images", "images", name);
    }

    /** The id of the flavor named NAME. */
    String flavorId(String name) {
        return idNamed("/flavors", "flavors", name);
    }

    /**
     * Enables or disables HOST's nova-compute in Nova (the operator's knob): Nova's scheduler
     * places nothing on a disabled host, a resize or a migration without a named host included.
     */
    void enable(String host, boolean enabled) {
        var service = new ComputeServices(nova).ofHost(host).orElseThrow();
        var body = JsonNodeFactory.instance.objectNode().put("status", enabled ? "enabled" : "disabled");
        nova.put("/os-services/" + service.id(), SERVICES, body);
    }

    private String idNamed(String path, String collection, String name) {
        for (JsonNode item : nova.get(path, BASE).path(collection)) {
            if (name.equals(item.path("name").asText())) {
                return item.path("id").asText();
            }
        }
        throw new IllegalStateException("Nova lists no " + collection + " named '" + name + "'");
    }

    /**
     * Runs SQL as MariaDB's root through the cloud's own socket (local-cloud.sh keeps its my.cnf
     * beside clouds.yaml's folder): how the tests get a database for Quartz.
     */
    void mariadbRoot(String sql) {
        Path myCnf = state().resolve("etc/mysql/my.cnf");
        run(List.of("mariadb", "--defaults-file=" + myCnf, "-u", "root", "-e", sql));
    }

    /**
     * When HOST's nova-compute last reported, as Nova's servicegroup judges it (the cell database's
     * {@code last_seen_up}, which forcing down leaves alone while it rewrites the API's
     * {@code updated_at}): Nova by itself calls the host down service_down_time after this.
     */
    Instant lastSeenUp(String host) {
        Path myCnf = state().resolve("etc/mysql/my.cnf");
        String seen = run(List.of("mariadb", "--defaults-file=" + myCnf, "-u", "root", "-N", "-B", "-e",
                "SELECT last_seen_up FROM nova.services WHERE `binary` = 'nova-compute' AND deleted = 0 AND host = '"
                        + host + "'")).strip();
        return LocalDateTime.parse(seen.replace(' ', 'T')).toInstant(ZoneOffset.UTC);
    }

    /** The cloud's state directory: clouds.yaml's folder. */
    Path state() {
        return cloudsYaml.toAbsolutePath().getParent();
    }

    /** Nova's service_down_time as local-cloud.sh configured it. */
    Duration serviceDownTime() {
        return novaSeconds("service_down_time");
    }

    /** Nova's report_interval as local-cloud.sh configured it: how often each nova-compute reports. */
    Duration reportInterval() {
        return novaSeconds("report_interval");
    }

    private Duration novaSeconds(String option) {
        Path conf = state().resolve("etc/nova/nova.conf");
        try {
            return Files.readAllLines(conf).stream().map(l -> l.replace(" ", ""))
                    .filter(l -> l.startsWith(option + "=")).map(l -> Duration.ofSeconds(Long.parseLong(
                            l.substring(option.length() + 1)))).findFirst()
                    .orElseThrow(() -> new IllegalStateException(conf + " sets no " + option));
        } catch (IOException e) {
            throw new IllegalStateException("cannot read " + conf + ": " + e.getMessage(), e);
        }
    }

    /** SIGKILLs HOST's nova-compute (local-cloud.sh kill-compute), as a crashed host would stop. */
    void killCompute(String host) {
        script("kill-compute", host);
    }

    /** Starts HOST's nova-compute again (local-cloud.sh start-compute); nothing happens when it runs. */
    void startCompute(String host) {
        script("start-compute", host);
    }

    /** The script's path: what a process fencer runs as {@code SCRIPT fence HOST}. */
    static Path script() {
        return Path.of(System.getProperty("understudy.cloud.script"));
    }

    /** Each test's start: the computes restored, the tests' leftover servers gone, a fresh agent per host. */
    AgentDaemons startClean(List<String> hosts, Path dir) throws IOException {
        restoreComputes(hosts);
        leftovers().forEach(this::deleteAndWait);
        return new AgentDaemons(hosts, state(), dir);
    }

    /** Each test's end: AGENTS stopped, SERVER (if booted) gone with what they staged for it, the computes restored. */
    void cleanUp(List<String> hosts, AgentDaemons agents, UUID server) throws IOException {
        try {
            if (agents != null) {
                agents.close();
                if (server != null) {
                    deleteAndWait(server);
                    agents.removeStaged(server);
                }
            }
        } finally {
            restoreComputes(hosts);
        }
    }

    /** Every compute running, none forced down (asked until Nova allows it), all up. */
    void restoreComputes(List<String> hosts) {
        // No agent starts here first to drop what one killed mid-round left (local-cloud.sh).
        hosts.forEach(host -> script("park-checkpoints", host));
        hosts.forEach(this::startCompute);
        ForceDown forceDown = new ForceDown(nova, ActionSettings.DEFAULTS);
        for (String host : hosts) {
            await(host + " no longer forced down").atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofSeconds(1))
                    .until(() -> forceDown.lift(host).done());
        }
        await("every compute up").atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(500))
                .until(() -> new ComputeServices(nova).list().stream()
                        .filter(s -> hosts.contains(s.host()) && s.up()).count() == hosts.size());
    }

    private void script(String... arguments) {
        List<String> command = new ArrayList<>(List.of("bash", script().toString()));
        command.addAll(List.of(arguments));
        run(command);
    }

    /** Runs COMMAND to its end within 60 s; its output, or why it failed. */
    static String run(List<String> command) {
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IllegalStateException(String.join(" ", command) + " took over 60 s");
            }
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (p.exitValue() != 0) {
                throw new IllegalStateException(String.join(" ", command) + " exited " + p.exitValue() + ": " + out);
            }
            return out;
        } catch (IOException e) {
            throw new IllegalStateException("cannot run " + String.join(" ", command) + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted running " + String.join(" ", command), e);
        }
    }
}
