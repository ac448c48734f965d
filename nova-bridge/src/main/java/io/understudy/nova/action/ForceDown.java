package io.understudy.nova.action;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.understudy.nova.client.Microversion;
import io.understudy.nova.client.NovaCalls;
import io.understudy.nova.client.NovaException;
import io.understudy.nova.client.NovaRequest;
import io.understudy.nova.state.ComputeService;
import io.understudy.nova.state.ComputeServices;
import io.understudy.nova.state.Migration;
import io.understudy.nova.state.Migrations;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Marks a host's nova-compute forced down and disabled with a reason, or lifts both. Forced down,
 * Nova treats the host as dead at once instead of after {@code service_down_time}, and keeps it so
 * when its nova-compute comes back, so nothing is scheduled there until the mark is lifted. The
 * disable carries the reason operators read in {@code openstack compute service list --long}, as
 * Masakari leaves one; a service an operator had disabled already keeps their reason, and only a
 * disable Understudy made ({@link ComputeService#disabledByUnderstudy()}) is lifted.
 *
 * <p>Nova refuses to lift forced_down (400) while evacuations away from the host are still "done"
 * rather than "completed": the host's nova-compute must have restarted and cleaned up first. That
 * is checked before asking, and reported as {@link ServiceChange.Outcome#AWAITING_CLEANUP}.
 */
public final class ForceDown {

    /** From 2.53 a service is addressed by its UUID ({@code PUT /os-services/{id}}), and one request sets both. */
    public static final Microversion VERSION = new Microversion(2, 53);

    /** Nova refuses a longer disabled_reason. */
    static final int MAX_REASON = 255;

    private static final Logger LOG = LoggerFactory.getLogger(ForceDown.class);

    private final NovaCalls nova;
    private final ActionSettings settings;

    public ForceDown(NovaCalls nova, ActionSettings settings) {
        this.nova = requireNonNull(nova, "nova is null");
        this.settings = requireNonNull(settings, "settings is null");
    }

    /**
     * The disabled_reason of a force-down at AT for MOVE: Understudy's mark, the move, the time;
     * cut to what Nova accepts.
     */
    public static String reason(String move, Instant at) {
        String reason = ComputeService.UNDERSTUDY_REASON + move + " at " + at.truncatedTo(ChronoUnit.SECONDS);
        return reason.length() <= MAX_REASON ? reason : reason.substring(0, MAX_REASON);
    }

    /**
     * Forces HOST's nova-compute down and, unless it is disabled already (an operator's reason is
     * kept), disables it with REASON, which must begin with {@link ComputeService#UNDERSTUDY_REASON}.
     */
    public ServiceChange set(String host, String reason) {
        if (!reason.startsWith(ComputeService.UNDERSTUDY_REASON) || reason.length() > MAX_REASON) {
            throw new IllegalArgumentException("disabled reason '" + reason + "' must begin with '"
                    + ComputeService.UNDERSTUDY_REASON + "' and have at most " + MAX_REASON + " characters");
        }
        return change(host, true, Optional.of(reason));
    }

    /** Lifts HOST's forced_down, once Nova allows it, and enables it if Understudy disabled it. */
    public ServiceChange lift(String host) {
        return change(host, false, Optional.empty());
    }

    private ServiceChange change(String host, boolean forcedDown, Optional<String> reason) {
        Hosts.requireHost(host);
        Trail trail = new Trail(nova, settings.retry(), LOG, (forcedDown ? "force down of " : "lifting forced down of ")
                + host + "'s nova-compute");
        ComputeServices services = new ComputeServices(trail.retrying());
        Optional<ComputeService> found = Optional.empty();
        try {
            found = services.ofHost(host);
            if (found.isEmpty()) {
                return end(trail, host, forcedDown, ServiceChange.Outcome.REFUSED, found, found,
                        "Nova knows no nova-compute on " + host, List.of());
            }
            ComputeService before = found.get();
            // Forcing down disables an enabled service; lifting enables only what Understudy disabled.
            boolean status = forcedDown ? before.enabled() : before.disabledByUnderstudy();
            if (before.forcedDown() == forcedDown && !status) {
                return end(trail, host, forcedDown, ServiceChange.Outcome.UNCHANGED, found, found,
                        "already " + describe(before), List.of());
            }
            if (!forcedDown && before.forcedDown()) {
                List<Migration> pending = new Migrations(trail.retrying()).evacuationsAwaitingCleanup(host);
                if (!pending.isEmpty()) {
                    return end(trail, host, false, ServiceChange.Outcome.AWAITING_CLEANUP, found, found,
                            "Nova keeps it forced down until its nova-compute has restarted and cleaned up after "
                                    + pending.stream().map(m -> m.describe() + " of server " + m.instanceUuid())
                                            .collect(Collectors.joining(", ")), pending);
                }
            }
            ObjectNode body = JsonNodeFactory.instance.objectNode();
            if (before.forcedDown() != forcedDown) {
                body.put("forced_down", forcedDown);
            }
            if (status && forcedDown) {
                body.put("status", "disabled").put("disabled_reason", reason.orElseThrow());
            } else if (status) {
                body.put("status", "enabled");
            }
            try {
                Optional<String> requestId = trail.retrying().send(NovaRequest.put("/os-services/" + before.id(),
                        VERSION, body)).requestId();
                trail.step("Nova accepted " + body + " " + Trail.idOf(requestId));
            } catch (NovaException e) {
                if (e.status().isPresent() && !e.retryable()) {
                    return end(trail, host, forcedDown, ServiceChange.Outcome.REFUSED, found, services.ofHost(host),
                            e.getMessage(), List.of());
                }
                throw e;
            }
            Optional<ComputeService> after = services.ofHost(host);
            boolean changed = after.map(s -> s.forcedDown() == forcedDown
                    && (!status || s.enabled() != forcedDown)).orElse(false);
            return end(trail, host, forcedDown, changed ? ServiceChange.Outcome.CHANGED : ServiceChange.Outcome.UNRESOLVED,
                    found, after, changed ? "read back from Nova: " + describe(after.get()) : "Nova accepted, yet reads back "
                            + after.map(ForceDown::describe).orElse("no such service"), List.of());
        } catch (NovaException | IllegalStateException e) {
            return end(trail, host, forcedDown, ServiceChange.Outcome.UNRESOLVED, found, Optional.empty(),
                    e.getMessage(), List.of());
        }
    }

    /** "forced down, disabled: REASON". */
    private static String describe(ComputeService s) {
        return (s.forcedDown() ? "forced down, " : "not forced down, ") + s.status();
    }

    private static ServiceChange end(Trail trail, String host, boolean forcedDown, ServiceChange.Outcome outcome,
            Optional<ComputeService> before, Optional<ComputeService> service, String reason, List<Migration> pending) {
        trail.step(outcome + ": " + reason + " (" + trail.requests() + " requests " + trail.requestIds() + ")");
        return new ServiceChange(host, forcedDown, outcome, before, service, reason, pending, trail.requestIds(),
                trail.requests());
    }
}
