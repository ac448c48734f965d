package io.understudy.nova.action;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.understudy.nova.client.Microversion;
import io.understudy.nova.client.NovaClient;
import io.understudy.nova.state.ComputeService;
import java.util.UUID;

/**
 * Marks a compute service forced down, or lifts the mark. Forced down, Nova treats the host as
 * dead at once instead of after {@code service_down_time}, so its servers can be evacuated.
 *
 * <p>Nova refuses to lift it (400) while evacuations away from the host are still "done" rather
 * than "completed": the host's nova-compute must have restarted and cleaned up first.
 */
public final class ForceDown {

    /** From 2.53 a service is addressed by its UUID ({@code PUT /os-services/{id}}). */
    public static final Microversion VERSION = new Microversion(2, 53);

    private final NovaClient nova;

    public ForceDown(NovaClient nova) {
        this.nova = requireNonNull(nova, "nova is null");
    }

    /** Sets the mark and returns the service as Nova now has it. */
    public ComputeService set(UUID service, boolean forcedDown) {
        ObjectNode body = JsonNodeFactory.instance.objectNode().put("forced_down", forcedDown);
        return ComputeService.fromJson(
                nova.put("/os-services/" + requireNonNull(service, "service is null"), VERSION, body).path("service"));
    }
}
