package io.understudy.scheduler.moves;

import static java.util.Objects.requireNonNull;

import io.understudy.nova.action.Fenced;
import io.understudy.scheduler.metrics.ControllerMetrics;
import java.time.Clock;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Fences a host through the fencer the configuration names for it (else the default), unless
 * an operator confirmed its fence by hand: a current confirmation is the proof, once the host's
 * agent is found silent (an agent that answers means the host came back, and the confirmation is
 * withdrawn).
 */
public final class Fencers {

    private static final Logger LOG = LoggerFactory.getLogger(Fencers.class);

    private final Map<String, Fencer> byHost;
    private final Fencer fallback;
    private final FenceConfirmations confirmations;
    private final MoveAgents agents;
    private final ControllerMetrics metrics;
    private final Clock clock;

    /** @param metrics where a fence confirmed by hand is counted (each fencer counts its own) */
    public Fencers(Map<String, Fencer> byHost, Fencer fallback, FenceConfirmations confirmations, MoveAgents agents,
            ControllerMetrics metrics, Clock clock) {
        this.byHost = Map.copyOf(requireNonNull(byHost, "byHost is null"));
        this.fallback = requireNonNull(fallback, "fallback is null");
        this.confirmations = requireNonNull(confirmations, "confirmations is null");
        this.agents = requireNonNull(agents, "agents is null");
        this.metrics = requireNonNull(metrics, "metrics is null");
        this.clock = requireNonNull(clock, "clock is null");
    }

    /** Fences HOST for VM's failover. */
    public Fencer.Fence fence(String host, UUID vm) {
        Optional<FenceConfirmations.Confirmation> confirmed = confirmations.current(host, clock.instant());
        if (confirmed.isPresent()) {
            if (!agents.answers(host)) {
                FenceConfirmations.Confirmation c = confirmed.get();
                Instant now = clock.instant();
                metrics.fence("confirmed", true);
                return Fencer.Fence.done(new Fenced(host, "confirmed by hand by " + c.by() + " at " + c.at()
                        + (c.note().isEmpty() ? "" : ": " + c.note()), now), host + " fenced: confirmed by hand by "
                        + c.by() + " at " + c.at() + ", its agent silent", 0, 1);
            }
            confirmations.withdraw(host);
            LOG.warn("vm {}: {}'s fence confirmed by hand at {} withdrawn: its agent answers, the host came back",
                    vm, host, confirmed.get().at());
        }
        return byHost.getOrDefault(host, fallback).fence(host, vm);
    }
}
