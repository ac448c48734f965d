package io.understudy.nova.state;

import static java.util.Objects.requireNonNull;

import io.understudy.nova.client.Microversion;
import io.understudy.nova.client.NovaCalls;
import io.understudy.nova.client.NovaException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/** A server's action log: where operators see what was done to it, and by which request. */
public final class InstanceActions {

    /** The action names and request ids are in every version. */
    public static final Microversion VERSION = new Microversion(2, 1);
    /** From 2.84 the events of an action say why they failed ({@code details}). */
    public static final Microversion WITH_DETAILS = new Microversion(2, 84);

    private final NovaCalls nova;

    public InstanceActions(NovaCalls nova) {
        this.nova = requireNonNull(nova, "nova is null");
    }

    /** The server's actions, newest first. */
    public List<InstanceAction> ofServer(UUID server) {
        List<InstanceAction> actions = new ArrayList<>();
        nova.get("/servers/" + requireNonNull(server, "server is null") + "/os-instance-actions", VERSION)
                .path("instanceActions").forEach(action -> actions.add(InstanceAction.fromJson(action)));
        return actions;
    }

    /** The action REQUEST_ID started on the server, with its events; empty when Nova recorded none. */
    public Optional<InstanceAction> show(UUID server, String requestId) {
        try {
            return Optional.of(InstanceAction.fromJson(nova.get("/servers/" + requireNonNull(server, "server is null")
                    + "/os-instance-actions/" + URLEncoder.encode(requestId, StandardCharsets.UTF_8), WITH_DETAILS)
                    .path("instanceAction")));
        } catch (NovaException e) {
            if (e.status().orElse(0) == 404) {
                return Optional.empty();
            }
            throw e;
        }
    }
}
