package io.understudy.nova.state;

import static java.util.Objects.requireNonNull;

import io.understudy.nova.client.Microversion;
import io.understudy.nova.client.NovaClient;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/** A server's action log: where operators see what was done to it, and by which request. */
public final class InstanceActions {

    /** The action names and request ids are in every version. */
    public static final Microversion VERSION = new Microversion(2, 1);

    private final NovaClient nova;

    public InstanceActions(NovaClient nova) {
        this.nova = requireNonNull(nova, "nova is null");
    }

    /** The server's actions, newest first. */
    public List<InstanceAction> ofServer(UUID server) {
        List<InstanceAction> actions = new ArrayList<>();
        nova.get("/servers/" + server + "/os-instance-actions", VERSION).path("instanceActions")
                .forEach(action -> actions.add(InstanceAction.fromJson(action)));
        return actions;
    }
}
