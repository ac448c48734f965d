package io.understudy.scheduler.history;

import io.understudy.scheduler.decide.Decision;
import io.understudy.scheduler.decide.Outcome;
import io.understudy.scheduler.evaluate.Breaches;
import io.understudy.scheduler.round.RoundResult;
import io.understudy.scheduler.round.RoundState;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.UUID;

/**
 * One round as history keeps it.
 *
 * @param controller the Quartz instance id of the controller that ran it
 * @param scheduledAt when Quartz meant it to run: with standby controllers, no two records carry the same
 * @param outcomes how many protected VMs got each outcome
 * @param decisions every decision but STAY (STAY too when {@code history.recordStays})
 * @param breaches and {@code lastMoves}: the state the next round starts from
 */
public record RoundRecord(UUID id, String controller, Optional<Instant> scheduledAt, Instant startedAt,
        Instant finishedAt, boolean ok, Optional<String> failure, String rules, List<String> notes, int hosts,
        int protectedVms, int novaRequests, Map<String, Integer> outcomes, List<DecisionRecord> decisions,
        List<String> executions, Map<String, Map<String, Instant>> breaches, Map<UUID, Instant> lastMoves) {

    public RoundRecord {
        scheduledAt = scheduledAt == null ? Optional.empty() : scheduledAt;
        failure = failure == null ? Optional.empty() : failure;
        notes = notes == null ? List.of() : List.copyOf(notes);
        outcomes = outcomes == null ? Map.of() : Map.copyOf(outcomes);
        decisions = decisions == null ? List.of() : List.copyOf(decisions);
        executions = executions == null ? List.of() : List.copyOf(executions);
        breaches = breaches == null ? Map.of() : breaches;
        lastMoves = lastMoves == null ? Map.of() : Map.copyOf(lastMoves);
    }

    public static RoundRecord of(RoundResult r, String controller, Optional<Instant> scheduledAt, boolean recordStays) {
        Map<String, Integer> outcomes = new TreeMap<>();
        if (r.quietStays() > 0) {
            outcomes.put(Outcome.STAY.name(), r.quietStays());
        }
        for (Decision d : r.decisions()) {
            outcomes.merge(d.outcome().name(), 1, Integer::sum);
        }
        List<DecisionRecord> decisions = r.decisions().stream()
                .filter(d -> recordStays || d.outcome() != Outcome.STAY).map(DecisionRecord::of).toList();
        return new RoundRecord(UUID.randomUUID(), controller, scheduledAt, r.startedAt(), r.finishedAt(), r.ok(),
                r.failure(), r.rulesSource(), r.notes(), r.evaluation().map(e -> e.hosts().size()).orElse(0),
                r.protectedVms(), r.nova().map(n -> n.requests()).orElse(0), outcomes, decisions, r.executions(),
                r.next().breaches().since(), r.next().lastMoves());
    }

    /** The state a controller resumes from. */
    public RoundState state() {
        return new RoundState(new Breaches(breaches), lastMoves);
    }
}
