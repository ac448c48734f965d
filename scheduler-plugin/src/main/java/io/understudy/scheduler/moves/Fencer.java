package io.understudy.scheduler.moves;

import static java.util.Objects.requireNonNull;

import io.understudy.nova.action.Fenced;
import java.util.Optional;
import java.util.UUID;

/**
 * Makes sure a host can no longer run a VM, and proves it: no proof, no evacuation. One is
 * chosen per host in the configuration ({@code moves.fencing}): a power-off through the host's
 * BMC ({@link RedfishFencer}), the host's agent destroying the domain ({@link AgentFencer}), a
 * command stopping the host's processes ({@link ProcessFencer}), or Nova's own view
 * ({@link NovaDownFencer}) — the last two completed by the host's agent ({@link AgentChecked});
 * an operator's confirmation stands in for any of them ({@link Fencers}).
 */
@FunctionalInterface
public interface Fencer {

    /**
     * Fences HOST so that VM cannot run there; blocks for at most the fencer's own limit. Never
     * throws: a failure is a refusal, with its reason.
     */
    Fence fence(String host, UUID vm);

    /**
     * @param proof the proof, when the host is fenced
     * @param note one line: how it was fenced, or why it could not be
     * @param novaRequests requests the fencer sent to Nova
     * @param agentRequests requests the fencer sent to agents
     */
    record Fence(Optional<Fenced> proof, String note, int novaRequests, int agentRequests) {
        public Fence {
            requireNonNull(proof, "proof is null");
            requireNonNull(note, "note is null");
        }

        /** Fenced: PROOF, and NOTE says how. */
        public static Fence done(Fenced proof, String note, int novaRequests, int agentRequests) {
            return new Fence(Optional.of(proof), note, novaRequests, agentRequests);
        }

        /** Not fenced, and WHY. */
        public static Fence refused(String why, int novaRequests, int agentRequests) {
            return new Fence(Optional.empty(), why, novaRequests, agentRequests);
        }
    }
}
