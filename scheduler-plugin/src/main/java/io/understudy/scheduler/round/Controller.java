package io.understudy.scheduler.round;

import static java.util.Objects.requireNonNull;

import io.understudy.scheduler.history.HistoryStore;
import io.understudy.scheduler.history.RoundRecord;
import io.understudy.scheduler.metrics.ControllerMetrics;
import io.understudy.scheduler.placement.Assignments;
import io.understudy.scheduler.placement.PlacementChange;
import io.understudy.scheduler.placement.Placer;
import io.understudy.scheduler.stats.ProtectedVm;
import io.understudy.scheduler.stats.ServerInfo;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the scheduled jobs call: run a round with the state the last one left, record it, and
 * keep the state for the next. Holds no state itself: the shared records carry it (so that a
 * standby controller resumes with the same breaches and cooldowns).
 */
public final class Controller {

    private static final Logger log = LoggerFactory.getLogger(Controller.class);

    private final EvaluationRound round;
    private final HistoryStore history;
    private final Assignments assignments;
    private final RoundStates states;
    private final ControllerMetrics metrics;
    private final LastRound last;
    private final boolean dryRun;
    private final boolean recordStays;

    /** @param dryRun decide and record, never act: no move, no assignment sent */
    public Controller(EvaluationRound round, HistoryStore history, Assignments assignments, RoundStates states,
            ControllerMetrics metrics, LastRound last, boolean dryRun, boolean recordStays) {
        this.round = requireNonNull(round, "round is null");
        this.history = requireNonNull(history, "history is null");
        this.assignments = requireNonNull(assignments, "assignments is null");
        this.states = requireNonNull(states, "states is null");
        this.metrics = requireNonNull(metrics, "metrics is null");
        this.last = requireNonNull(last, "last is null");
        this.dryRun = dryRun;
        this.recordStays = recordStays;
    }

    /**
     * The state to start from: the last round's (any controller's), else this controller's last
     * recorded one, else a fresh one.
     */
    public RoundState resumeState() {
        return states.latest().or(() -> history.latest().map(RoundRecord::state)).orElse(RoundState.INITIAL);
    }

    public RoundState evaluate(RoundState state, String controller, Optional<Instant> scheduledAt) {
        // Recording every STAY needs a decision for every VM, also those on quiet hosts.
        RoundResult result = round.run(state, !dryRun, recordStays);
        RoundRecord record = RoundRecord.of(result, controller, scheduledAt, recordStays);
        last.record(result, recordStays);
        states.save(result.next());
        history.append(record);
        metrics.round("evaluation", result);
        metrics.evaluated(result);
        if (result.ok()) {
            log.info("round {} by {}: {} hosts, {} protected VMs, {} Nova requests, outcomes {} in {} ms{}",
                    record.id(), controller, record.hosts(), record.protectedVms(), record.novaRequests(),
                    record.outcomes(), record.finishedAt().toEpochMilli() - record.startedAt().toEpochMilli(),
                    dryRun ? " (dry run)" : "");
        }
        return result.next();
    }

    /**
     * A placement round: which secondaries each protected VM should have, logged, and assigned to
     * the agents unless this is a dry run; the VMs Nova deleted or that are no longer protected are
     * released after a while. A
     * round that could not read Nova does neither: a VM it could not see is not gone.
     */
    public List<PlacementChange> place(RoundState state) {
        RoundResult result = round.run(state, false, true);
        last.record(result, true);
        metrics.round("placement", result);
        if (!result.ok()) {
            return List.of();
        }
        List<PlacementChange> changes = new Placer().place(result.evaluation().orElseThrow(), result.vms());
        changes.stream().filter(PlacementChange::changes).forEach(c -> log.info("placement: {}", c.logLine()));
        if (!dryRun) {
            // A VM the rules or an operator no longer protect is let go as a deleted one is.
            Set<UUID> listed = Stream.concat(result.vms().stream().map(ProtectedVm::id),
                    result.unplaced().stream().map(ServerInfo::id)).collect(Collectors.toSet());
            assignments.send(changes, listed, result.evaluation().orElseThrow().rules().policy().replicationInterval());
        }
        return changes;
    }
}
