package io.understudy.nova.cloudit;

import static java.util.Objects.requireNonNull;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.understudy.nova.client.Microversion;
import io.understudy.nova.client.NovaClient;
import io.understudy.nova.client.NovaException;
import io.understudy.nova.state.Servers;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * Booting and deleting the tests' servers: not a bridge action (the bridge moves servers others
 * made), so it lives with the tests.
 */
final class TestServers {

    /** Names every server the tests make, so a crashed run's leftovers can be found and removed. */
    static final String NAME_PREFIX = "understudy-it-";

    /** 2.74 boots on a named host through the scheduler; 2.37 allows "networks": "none". */
    private static final Microversion BOOT = new Microversion(2, 74);
    /** The base version still proxies Glance's image list (gone from 2.36), enough to find an image by name. */
    private static final Microversion BASE = new Microversion(2, 1);
    private static final Duration POLL = Duration.ofMillis(250);

    /** An image and a flavor that local-cloud.sh up makes. */
    record Boot(String image, String flavor) {
        /** 1 MiB of zeros, 64 MiB: enough for the fake driver, which runs nothing. */
        static final Boot TINY = new Boot("understudy-tiny", "understudy.tiny");
        /** The tiny guest that writes records (devstack/tiny-guest), for libvirt computes. */
        static final Boot GUEST = new Boot("understudy-guest", "understudy.guest");
    }

    private final NovaClient nova;
    private final Servers servers;

    TestServers(NovaClient nova) {
        this.nova = requireNonNull(nova, "nova is null");
        this.servers = new Servers(nova);
    }

    /** Boots IMAGE with FLAVOR on HOST, without a network. */
    UUID boot(String name, String host, Boot what) {
        ObjectNode body = JsonNodeFactory.instance.objectNode();
        body.putObject("server")
                .put("name", NAME_PREFIX + name)
                .put("imageRef", idNamed("/images", "images", what.image()))
                .put("flavorRef", idNamed("/flavors", "flavors", what.flavor()))
                .put("networks", "none")
                .put("host", host);
        return UUID.fromString(nova.post("/servers", BOOT, body).path("server").path("id").asText());
    }

    /** Boots and waits until the server is ACTIVE on HOST; fails at once if it goes to ERROR. */
    UUID bootActive(String name, String host, Boot what, Duration timeout) {
        UUID id = boot(name, host, what);
        await(name + " ACTIVE on " + host).atMost(timeout).pollInterval(POLL)
                .failFast("server went to ERROR", () -> servers.show(id).map(s -> s.status().equals("ERROR")).orElse(false))
                .until(() -> servers.show(id).map(s -> s.settledOn(host)).orElse(false));
        return id;
    }

    void deleteAndWait(UUID id, Duration timeout) {
        delete(id);
        await("server " + id + " deleted").atMost(timeout).pollInterval(POLL)
                .until(() -> servers.show(id).isEmpty());
    }

    /** The server's console log, as Nova reads it on the server's host (its last 100 KiB). */
    String consoleOutput(UUID server) {
        ObjectNode body = JsonNodeFactory.instance.objectNode();
        body.putObject("os-getConsoleOutput");
        return nova.post("/servers/" + server + "/action", BASE, body).path("output").asText();
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

    /** Servers a previous run left behind. */
    List<UUID> leftovers() {
        List<UUID> found = new ArrayList<>();
        nova.get("/servers?all_tenants=1&name=%5E" + NAME_PREFIX, BASE).path("servers")
                .forEach(server -> found.add(UUID.fromString(server.path("id").asText())));
        return found;
    }

    private String idNamed(String path, String collection, String name) {
        for (JsonNode item : nova.get(path, BASE).path(collection)) {
            if (name.equals(item.path("name").asText())) {
                return item.path("id").asText();
            }
        }
        throw new IllegalStateException("Nova lists no " + collection + " named '" + name
                + "': does devstack/local-cloud.sh up run against this cloud?");
    }
}
