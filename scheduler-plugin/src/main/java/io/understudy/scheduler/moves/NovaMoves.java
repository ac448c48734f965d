package io.understudy.scheduler.moves;

import io.understudy.nova.action.Fenced;
import io.understudy.nova.action.MoveResult;
import io.understudy.nova.action.ServiceChange;
import io.understudy.nova.state.ComputeService;
import io.understudy.nova.state.Migration;
import io.understudy.nova.state.Server;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Supplier;

/**
 * The nova-bridge's actions as the moves use them: one seam, so that the order of a move can be
 * tested without a Nova ({@link BridgeNova} is the real one).
 */
public interface NovaMoves {

    /** Moves VM to HOST, or follows the live migration there Nova already has. */
    MoveResult liveMigrate(UUID vm, String host);

    /**
     * {@link #liveMigrate} in two halves: what it reads of Nova first may begin now, and the rest
     * runs when the returned supplier is called (soon: what was read decides what is asked).
     */
    default Supplier<MoveResult> liveMigration(UUID vm, String host) {
        return () -> liveMigrate(vm, host);
    }

    /** Follows the live migration of VM Nova has in flight, if any. */
    Optional<MoveResult> followLiveMigration(UUID vm);

    /** Evacuates VM to HOST with the fence proof, or follows the evacuation Nova already has; never a second one. */
    MoveResult evacuate(UUID vm, String host, Fenced fenced);

    /** Forces HOST's nova-compute down and disables it with REASON, unless it is disabled already. */
    ServiceChange forceDown(String host, String reason);

    /**
     * Lifts HOST's forced_down, once Nova allows it (its evacuations completed), and enables it if
     * Understudy disabled it.
     */
    ServiceChange liftForcedDown(String host);

    /** Every evacuation away from HOST Nova has a record of, whatever its status. */
    List<Migration> evacuationsFrom(String host);

    Optional<Server> server(UUID vm);

    /** The nova-compute of HOST as Nova shows it now. */
    Optional<ComputeService> computeService(String host);

    /** Every nova-compute Nova knows. */
    List<ComputeService> computeServices();
}
