package io.understudy.nova.action;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.understudy.nova.client.Microversion;
import io.understudy.nova.client.NovaClient;
import java.util.UUID;

/**
 * Live-migrates a running server to a named host. Nova's scheduler still checks the host; the
 * move is over when the server's {@code live-migration} record in {@code /os-migrations} ends.
 */
public final class LiveMigration {

    /**
     * {@code block_migration: "auto"} needs 2.25; from 2.68 there is no {@code force} to bypass
     * the scheduler's checks, which we never want.
     */
    public static final Microversion VERSION = new Microversion(2, 68);

    private final NovaClient nova;

    public LiveMigration(NovaClient nova) {
        this.nova = requireNonNull(nova, "nova is null");
    }

    /** Asks Nova to start it; Nova answers 202 and works on in the background. */
    public void start(UUID server, String host) {
        ObjectNode body = JsonNodeFactory.instance.objectNode();
        body.putObject("os-migrateLive")
                .put("host", Hosts.requireHost(host))
                .put("block_migration", "auto");
        nova.post("/servers/" + requireNonNull(server, "server is null") + "/action", VERSION, body);
    }
}
