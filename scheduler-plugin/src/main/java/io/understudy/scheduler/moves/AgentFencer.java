package io.understudy.scheduler.moves;

import static java.util.Objects.requireNonNull;

import io.understudy.agent.api.FenceResult;
import io.understudy.nova.action.Fenced;
import java.io.IOException;
import java.time.Clock;
import java.util.UUID;

/**
 * Fences a VM on a host whose agent still answers (a sick but alive host: its nova-compute down,
 * say): the agent destroys the VM's domain and reads libvirt back. Its answer is the proof only
 * when it comes from that host's agent and says the domain is stopped; an agent that cannot
 * confirm answers with an error, and the VM may still run there.
 */
public final class AgentFencer implements Fencer {

    private final MoveAgents agents;
    private final Clock clock;

    public AgentFencer(MoveAgents agents, Clock clock) {
        this.agents = requireNonNull(agents, "agents is null");
        this.clock = requireNonNull(clock, "clock is null");
    }

    @Override
    public Fence fence(String host, UUID vm) {
        FenceResult result;
        try {
            result = agents.destroyDomain(host, vm);
        } catch (IOException | RuntimeException e) {
            return Fence.refused("agent: " + host + "'s agent did not confirm vm " + vm + " stopped: "
                    + e.getMessage(), 0, 1);
        }
        if (!host.equals(result.host())) {
            return Fence.refused("agent: the agent at " + agents.url(host) + " speaks for " + result.host()
                    + ", not " + host, 0, 1);
        }
        if (!result.stopped()) {
            return Fence.refused("agent: " + host + "'s agent reports vm " + vm + " " + result.state()
                    + " after destroying it", 0, 1);
        }
        String how = (result.wasRunning() ? "destroyed its domain" : "its domain was not running") + ", libvirt now "
                + result.state();
        return Fence.done(new Fenced(host, "agent on " + host + ": " + how, clock.instant()),
                host + " fenced for vm " + vm + ": its agent " + how, 0, 1);
    }
}
