package io.understudy.scheduler.round;

import io.understudy.scheduler.decide.Decision;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/** Carries out MOVE decisions: the moves package's executor; nothing is called in a dry run. */
public interface MoveExecutor {

    /** The VMs whose moves are open (in flight, or stopped for an operator), with why: no other move of them starts. */
    Map<UUID, String> held();

    /** Follows the moves earlier rounds (or a stopped controller) left in flight; a line per move for history. */
    List<String> settle();

    /** Carries out MOVES (at once, each to its end or until it waits on Nova); one execution per move. */
    List<Execution> execute(List<Decision> moves);

    /**
     * @param startedAt when the move started, if it did (the VM's cooldown starts then)
     * @param note a line for history: how it ended, where the time went, the requests sent
     */
    record Execution(UUID vm, Optional<Instant> startedAt, String note) {}
}
