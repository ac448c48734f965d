package io.understudy.nova.action;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import io.understudy.nova.client.Microversion;
import io.understudy.nova.client.NovaCalls;
import io.understudy.nova.client.NovaException;
import io.understudy.nova.client.NovaRequest;
import io.understudy.nova.state.ComputeService;
import io.understudy.nova.state.ComputeServices;
import io.understudy.nova.state.Migration;
import io.understudy.nova.state.Migrations;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Marks a host's nova-compute forced down, or lifts the mark. Forced down, Nova treats the host
 * as dead at once instead of after {@code service_down_time}, and keeps it so when its
 * nova-compute comes back, so nothing is scheduled there until the mark is lifted.
 *
 * <p>Nova refuses to lift it (400) while evacuations away from the host are still "done" rather
 * than "completed": the host's nova-compute must have restarted and cleaned up first. That is
 * checked before asking, and reported as {@link ServiceChange.Outcome#AWAITING_CLEANUP}.
 */
public final class ForceDown {

    /** From 2.53 a service is addressed by its UUID ({@code PUT /os-services/{id}}). */
    public static final Microversion VERSION = new Microversion(2, 53);

    private static final Logger LOG = LoggerFactory.getLogger(ForceDown.class);

    private final NovaCalls nova;
    private final ActionSettings settings;

    public ForceDown(NovaCalls nova, ActionSettings settings) {
        this.nova = requireNonNull(nova, "nova is null");
        this.settings = requireNonNull(settings, "settings is null");
    }

    /** Forces HOST's nova-compute down. */
    public ServiceChange set(String host) {
        return change(host, true);
    }

    /** Lifts HOST's forced_down, once Nova allows it. */
    public ServiceChange lift(String host) {
        return change(host, false);
    }

    private ServiceChange change(String host, boolean forcedDown) {
        Hosts.requireHost(host);
        Trail trail = new Trail(nova, settings.retry(), LOG, (forcedDown ? "force down of " : "lifting forced down of ")
                + host + "'s nova-compute");
        ComputeServices services = new ComputeServices(trail.retrying());
        try {
            Optional<ComputeService> found = services.ofHost(host);
            if (found.isEmpty()) {
                return end(trail, host, forcedDown, ServiceChange.Outcome.REFUSED, found,
                        "Nova knows no nova-compute on " + host, List.of());
            }
            ComputeService before = found.get();
            if (before.forcedDown() == forcedDown) {
                return end(trail, host, forcedDown, ServiceChange.Outcome.UNCHANGED, found,
                        "already " + (forcedDown ? "forced down" : "not forced down"), List.of());
            }
            if (!forcedDown) {
                List<Migration> pending = new Migrations(trail.retrying()).evacuationsAwaitingCleanup(host);
                if (!pending.isEmpty()) {
                    return end(trail, host, false, ServiceChange.Outcome.AWAITING_CLEANUP, found,
                            "Nova keeps it forced down until its nova-compute has restarted and cleaned up after "
                                    + pending.stream().map(m -> m.describe() + " of server " + m.instanceUuid())
                                            .collect(Collectors.joining(", ")), pending);
                }
            }
            try {
                Optional<String> requestId = trail.retrying().send(NovaRequest.put("/os-services/" + before.id(),
                        VERSION, JsonNodeFactory.instance.objectNode().put("forced_down", forcedDown))).requestId();
                trail.step("Nova accepted " + Trail.idOf(requestId));
            } catch (NovaException e) {
                if (e.status().isPresent() && !e.retryable()) {
                    return end(trail, host, forcedDown, ServiceChange.Outcome.REFUSED, services.ofHost(host),
                            e.getMessage(), List.of());
                }
                throw e;
            }
            Optional<ComputeService> after = services.ofHost(host);
            boolean changed = after.map(s -> s.forcedDown() == forcedDown).orElse(false);
            return end(trail, host, forcedDown, changed ? ServiceChange.Outcome.CHANGED : ServiceChange.Outcome.UNRESOLVED,
                    after, changed ? "read back from Nova" : "Nova accepted, yet reads back "
                            + after.map(s -> "forced_down=" + s.forcedDown()).orElse("no such service"), List.of());
        } catch (NovaException | IllegalStateException e) {
            return end(trail, host, forcedDown, ServiceChange.Outcome.UNRESOLVED, Optional.empty(), e.getMessage(),
                    List.of());
        }
    }

    private static ServiceChange end(Trail trail, String host, boolean forcedDown, ServiceChange.Outcome outcome,
            Optional<ComputeService> service, String reason, List<Migration> pending) {
        trail.step(outcome + ": " + reason + " (" + trail.requests() + " requests " + trail.requestIds() + ")");
        return new ServiceChange(host, forcedDown, outcome, service, reason, pending, trail.requestIds(),
                trail.requests());
    }
}
