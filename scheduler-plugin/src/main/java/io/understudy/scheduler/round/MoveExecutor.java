package io.understudy.scheduler.round;

import io.understudy.scheduler.decide.Decision;
import java.time.Instant;
import java.util.Optional;

/**
 * Carries out a MOVE decision. The nova-bridge's moves (issue 6) plug in here; until then the
 * only executor records the decision and moves nothing.
 */
public interface MoveExecutor {

    /**
     * @return when the move started, if it did (the VM's cooldown starts then), and a line for history
     */
    Execution execute(Decision move);

    record Execution(Optional<Instant> startedAt, String note) {}

    /** Records only: nothing in Nova changes. */
    MoveExecutor RECORD_ONLY = move -> new Execution(Optional.empty(),
            "recorded only, not executed: acting through the nova-bridge is not available yet");
}
