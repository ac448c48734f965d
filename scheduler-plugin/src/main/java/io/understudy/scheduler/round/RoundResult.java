package io.understudy.scheduler.round;

import static java.util.Objects.requireNonNull;

import io.understudy.scheduler.decide.Decision;
import io.understudy.scheduler.evaluate.Evaluation;
import io.understudy.scheduler.stats.NovaSnapshot;
import io.understudy.scheduler.stats.ProtectedVm;
import io.understudy.scheduler.stats.ServerInfo;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * Everything one round saw and decided.
 *
 * @param failure why the round decided nothing (Nova unreadable), empty when it ran
 * @param notes what an operator should know: rules that did not reload, protected servers without a host
 * @param vms the protected VMs decided on (all of them, or only those not on a quiet host)
 * @param protectedVms how many protected VMs have a host
 * @param quietStays protected VMs that stay because their primary is quiet, without a decision object
 * @param next the state for the next round (unchanged when the round failed)
 */
public record RoundResult(Instant startedAt, Instant finishedAt, Optional<String> failure, String rulesSource,
        List<String> notes, Optional<NovaSnapshot> nova, Optional<Evaluation> evaluation, List<ProtectedVm> vms,
        int protectedVms, int quietStays, List<ServerInfo> unplaced, List<Decision> decisions, List<String> executions,
        RoundState next) {

    public RoundResult {
        requireNonNull(startedAt, "startedAt is null");
        requireNonNull(finishedAt, "finishedAt is null");
        requireNonNull(failure, "failure is null");
        requireNonNull(rulesSource, "rulesSource is null");
        notes = List.copyOf(notes);
        requireNonNull(nova, "nova is null");
        requireNonNull(evaluation, "evaluation is null");
        vms = List.copyOf(vms);
        unplaced = List.copyOf(unplaced);
        decisions = List.copyOf(decisions);
        executions = List.copyOf(executions);
        requireNonNull(next, "next is null");
    }

    public boolean ok() {
        return failure.isEmpty();
    }
}
