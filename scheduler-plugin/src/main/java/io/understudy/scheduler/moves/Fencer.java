package io.understudy.scheduler.moves;

import static java.util.Objects.requireNonNull;

import io.understudy.nova.action.Fenced;
import java.util.Optional;

/**
 * Makes sure a host can no longer run anything, and proves it: no proof, no evacuation. One is
 * chosen per host in the configuration ({@code moves.fencing}); a power-off through the host's
 * BMC (Redfish), the agent destroying the domain, or stopping the host's processes on the
 * single-machine cloud plug in here (issue 9).
 */
@FunctionalInterface
public interface Fencer {

    /** Fences HOST; blocks for at most the fencer's own limit. Never throws: a failure is a refusal. */
    Fence fence(String host);

    /**
     * @param proof the proof, when the host is fenced
     * @param note one line: how it was fenced, or why it could not be
     * @param novaRequests requests the fencer sent to Nova
     */
    record Fence(Optional<Fenced> proof, String note, int novaRequests) {
        public Fence {
            requireNonNull(proof, "proof is null");
            requireNonNull(note, "note is null");
        }
    }
}
