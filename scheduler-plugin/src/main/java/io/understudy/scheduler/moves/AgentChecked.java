package io.understudy.scheduler.moves;

import static java.util.Objects.requireNonNull;

import io.understudy.nova.action.Fenced;
import java.time.Clock;
import java.util.UUID;

/**
 * A fence that stops a host's services but says nothing of a guest that outlived them (Nova's
 * verdict on nova-compute; a command that may not reach the guest), completed by the host's
 * agent: its proof counts once the agent is silent, or has destroyed the VM's domain and read
 * libvirt back (issue 6).
 */
public final class AgentChecked implements Fencer {

    private final Fencer fence;
    private final MoveAgents agents;
    private final AgentFencer destroy;
    private final Clock clock;

    public AgentChecked(Fencer fence, MoveAgents agents, Clock clock) {
        this.fence = requireNonNull(fence, "fence is null");
        this.agents = requireNonNull(agents, "agents is null");
        this.destroy = new AgentFencer(agents, clock);
        this.clock = requireNonNull(clock, "clock is null");
    }

    @Override
    public Fence fence(String host, UUID vm) {
        Fence fenced = fence.fence(host, vm);
        if (fenced.proof().isEmpty()) {
            return fenced;
        }
        String how = fenced.proof().get().how();
        if (!agents.answers(host)) {
            return Fence.done(new Fenced(host, how + "; its agent silent", clock.instant()),
                    fenced.note() + "; its agent silent", fenced.novaRequests(), fenced.agentRequests() + 1);
        }
        Fence destroyed = destroy.fence(host, vm);
        int agentRequests = fenced.agentRequests() + 1 + destroyed.agentRequests();
        if (destroyed.proof().isEmpty()) {
            return Fence.refused(host + "'s agent answers and did not destroy the VM (" + destroyed.note() + ")",
                    fenced.novaRequests(), agentRequests);
        }
        return Fence.done(new Fenced(host, how + "; " + destroyed.proof().get().how(), clock.instant()),
                fenced.note() + "; " + destroyed.note(), fenced.novaRequests(), agentRequests);
    }
}
