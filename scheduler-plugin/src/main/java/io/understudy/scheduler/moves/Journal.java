package io.understudy.scheduler.moves;

import java.util.List;
import java.util.Optional;
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
