package io.understudy.scheduler.round;

import static java.util.Objects.requireNonNull;

import io.understudy.scheduler.decide.Decision;
import io.understudy.scheduler.decide.Outcome;
import io.understudy.scheduler.evaluate.Evaluation;
import io.understudy.scheduler.rules.Rules;
import io.understudy.scheduler.stats.AgentReader;
import io.understudy.scheduler.stats.AgentReading;
import io.understudy.scheduler.stats.NovaReadException;
import io.understudy.scheduler.stats.NovaReader;
import io.understudy.scheduler.stats.NovaSnapshot;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Runs one round: read, judge, decide, execute (or record), and say what happened. */
public final class EvaluationRound {

    private static final Logger log = LoggerFactory.getLogger(EvaluationRound.class);

    private final NovaReader nova;
    private final AgentReader agents;
    private final RulesSource rules;
    private final FailedHosts failedHosts;
    private final MoveExecutor executor;
    private final Clock clock;
    private final RoundCore core = new RoundCore();

    public EvaluationRound(NovaReader nova, AgentReader agents, RulesSource rules, FailedHosts failedHosts,
            MoveExecutor executor, Clock clock) {
        this.nova = requireNonNull(nova, "nova is null");
        this.agents = requireNonNull(agents, "agents is null");
        this.rules = requireNonNull(rules, "rules is null");
        this.failedHosts = requireNonNull(failedHosts, "failedHosts is null");
        this.executor = requireNonNull(executor, "executor is null");
        this.clock = requireNonNull(clock, "clock is null");
    }

    /**
     * @param act false for a dry run ({@code understudy plan}): decide, execute nothing, keep no state
     * @param everyVm a decision for every protected VM, also those on quiet hosts (plan, status, placement)
     */
    public RoundResult run(RoundState previous, boolean act, boolean everyVm) {
        Instant started = clock.instant();
        Rules current = rules.current();
        List<String> notes = new ArrayList<>();
        // Moves left in flight go first, so that Nova is read as they left it.
        List<String> executions = new ArrayList<>(act ? executor.settle() : List.of());
        rules.problem().ifPresent(notes::add);
        NovaSnapshot snapshot;
        try {
            snapshot = nova.read(!current.aggregates().isEmpty());
        } catch (NovaReadException e) {
            String failure = "Nova could not be read, no decision made: " + e.getMessage();
            log.error("round failed: {}", failure);
            return new RoundResult(started, clock.instant(), Optional.of(failure), current.source(), notes,
                    Optional.empty(), Optional.empty(), List.of(), 0, 0, List.of(), List.of(), executions, previous);
        }
        TreeSet<String> hosts = new TreeSet<>();
        snapshot.services().forEach(s -> hosts.add(s.host()));
        snapshot.hypervisors().forEach(h -> hosts.add(h.host()));
        // A failed host's agent is not asked: it has just missed its probes, and waiting out its
        // timeout would add that much to the failover.
        Set<String> failed = failedHosts.now();
        List<String> asked = hosts.stream().filter(h -> !failed.contains(h)).toList();
        Map<String, AgentReading> readings = new TreeMap<>(agents.read(asked));
        hosts.stream().filter(failed::contains)
                .forEach(h -> readings.put(h, AgentReading.failed(h, "not asked: failure detection declared it failed")));
        Instant now = clock.instant();
        RoundCore.Computed c = core.compute(snapshot, readings, current, failed, now, previous, everyVm,
                executor.held());
        c.unplaced().forEach(s -> notes.add("protected server " + s.id() + " (" + s.name() + ") has no host (status "
                + s.status() + ")"));
        Evaluation evaluation = c.evaluation();
        List<Decision> decisions = c.decisions();

        Map<UUID, Instant> lastMoves = new HashMap<>(previous.lastMoves());
        lastMoves.values().removeIf(at -> at.plus(current.policy().cooldown()).isBefore(now));
        List<Decision> moves = new ArrayList<>();
        for (Decision d : decisions) {
            if (d.outcome() == Outcome.STAY) {
                continue;
            }
            log.info("{}", d.logLine());
            if (d.outcome() == Outcome.MOVE) {
                moves.add(d);
            }
        }
        if (act && !moves.isEmpty()) {
            for (MoveExecutor.Execution e : executor.execute(moves)) {
                e.startedAt().ifPresent(at -> lastMoves.put(e.vm(), at));
                executions.add("vm " + e.vm() + ": " + e.note());
            }
        }
        RoundState next = act ? new RoundState(evaluation.breaches(), lastMoves) : previous;
        return new RoundResult(started, clock.instant(), Optional.empty(), current.source(), notes,
                Optional.of(snapshot), Optional.of(evaluation), c.vms(), c.protectedVms(), c.quietStays(), c.unplaced(),
                decisions, executions, next);
    }
}
