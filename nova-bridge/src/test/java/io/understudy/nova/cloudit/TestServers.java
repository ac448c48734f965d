package io.understudy.nova.cloudit;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.understudy.nova.client.Microversion;
import io.understudy.nova.client.NovaClient;
import io.understudy.nova.client.NovaException;
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

    private final NovaClient nova;

    TestServers(NovaClient nova) {
        this.nova = requireNonNull(nova, "nova is null");
    }

    /** Boots the local cloud's tiny image and flavor (made by local-cloud.sh up) on HOST, without a network. */
    UUID boot(String name, String host) {
        ObjectNode body = JsonNodeFactory.instance.objectNode();
        body.putObject("server")
                .put("name", NAME_PREFIX + name)
                .put("imageRef", idNamed("/images", "images", "understudy-tiny"))
                .put("flavorRef", idNamed("/flavors", "flavors", "understudy.tiny"))
                .put("networks", "none")
                .put("host", host);
        return UUID.fromString(nova.post("/servers", BOOT, body).path("server").path("id").asText());
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
