package io.understudy.scheduler.moves;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.UUID;

/**
 * Where moves are recorded step by step, so that a restarted controller (or the command line,
 * or a standby controller) finds the moves left open and follows them instead of starting others.
 */
public interface Journal {

    /**
     * Records a new move; at most one move per VM is open.
     *
     * @throws MoveConflictException when the VM has an open move (in flight, or awaiting an operator)
     */
    void begin(MoveState move);

    /**
     * The version of each VM's claim, by VM (none: never claimed): read before a controller decides
     * on a VM, and claimed from.
     */
    Map<UUID, Long> claims();

    /**
     * Claims VM at AT for WHAT (a move's beginning, or its next step) if no one claimed it since SEEN (0:
     * never claimed), by compare-and-set in one transaction: of the controllers that decided on a VM
     * at once, through any node of the database, one goes on.
     *
     * @return the claim's new version, to claim the next step from; empty when another controller
     *     claimed the VM first (nothing written)
     */
    OptionalLong claim(UUID vm, long seen, String what, Instant at);

    /**
     * Claims MOVE's VM from SEEN for WHAT, at the time MOVE was last updated, and records MOVE as it
     * stands, in one write: both are stored, or neither.
     *
     * @return as {@link #claim}
     */
    OptionalLong claimAndSave(long seen, String what, MoveState move);

    /** Records the move as it stands now; an ended move is kept as history and no longer open. */
    void save(MoveState move);

    /** The moves in flight or awaiting an operator. */
    List<MoveState> open();

    default Optional<MoveState> open(UUID vm) {
        return open().stream().filter(m -> m.plan().vm().equals(vm)).findFirst();
    }

    /**
     * Forgets the open move of VM (an operator looked at it), keeping it as history.
     *
     * @return whether there was one
     */
    boolean close(UUID vm);
}
