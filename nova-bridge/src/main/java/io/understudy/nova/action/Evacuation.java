package io.understudy.nova.action;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.understudy.nova.client.Microversion;
import io.understudy.nova.client.NovaClient;
import java.util.UUID;

/**
 * Rebuilds a server of a dead host on a named host. Nova accepts it only while the source's
 * compute service is down or forced down; the caller must have fenced the source first, or the
 * server may run twice.
 */
public final class Evacuation {

    /**
     * From 2.68 there is no {@code force}, so the scheduler checks the host; up to 2.94 an
     * evacuated server comes back ACTIVE (from 2.95 it stays SHUTOFF). Nova 26 (Zed) speaks up
     * to 2.93.
     */
    public static final Microversion VERSION = new Microversion(2, 68);

    private final NovaClient nova;

    public Evacuation(NovaClient nova) {
        this.nova = requireNonNull(nova, "nova is null");
    }

    /** Asks Nova to start it; Nova answers 200 and works on in the background. */
    public void start(UUID server, String host) {
        ObjectNode body = JsonNodeFactory.instance.objectNode();
        body.putObject("evacuate").put("host", Hosts.requireHost(host));
        nova.post("/servers/" + requireNonNull(server, "server is null") + "/action", VERSION, body);
    }
}
