package io.understudy.scheduler.moves;

import static java.util.Objects.requireNonNull;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs moves step by step, journaling before and after each step: a move is begun (claimed in
 * the journal), each step is marked attempted before it runs and recorded when it ends, and the
 * move goes on until it ends or Nova's state is unresolved. A restarted controller resumes every
 * move left in flight from its recorded step. One log line per step: the move (VM, hosts), the
 * step, how it ended, Nova's request ids, and why the VM moves.
 */
public final class Mover {

    private static final Logger LOG = LoggerFactory.getLogger(Mover.class);

    private final MoveSteps steps;
    private final Journal journal;
    private final Clock clock;

    public Mover(MoveSteps steps, Journal journal, Clock clock) {
        this.steps = requireNonNull(steps, "steps is null");
        this.journal = requireNonNull(journal, "journal is null");
        this.clock = requireNonNull(clock, "clock is null");
    }

    /**
     * Begins PLAN and runs it until it ends or waits on Nova.
     *
     * @throws MoveConflictException when the VM has an open move already
     */
    public MoveState start(MovePlan plan) {
        MoveState move = MoveState.begin(plan, clock.instant());
        journal.begin(move);
        LOG.info("{}: begins ({})", plan.describe(), plan.reason());
        return run(move);
    }

    /** Follows every move the journal has in flight, from its recorded step. */
    public List<MoveState> resumeAll() {
        return journal.open().stream().filter(m -> m.status() == MoveState.Status.IN_FLIGHT).map(this::resume).toList();
    }

    /** Follows MOVE from its recorded step. */
    public MoveState resume(MoveState move) {
        LOG.info("{}: resumed at {} ({})", move.plan().describe(), move.nextStep().orElseThrow(), move.lastNote());
        return run(move);
    }

    private MoveState run(MoveState begun) {
        MoveState move = begun;
        while (move.status() == MoveState.Status.IN_FLIGHT) {
            Step step = move.nextStep().orElseThrow();
            MoveState attempt = move.attempting(clock.instant());
            journal.save(attempt);
            long began = System.nanoTime();
            StepResult result;
            try {
                // Given the state from before the mark: its flag says whether the step ran before.
                result = steps.run(move);
            } catch (RuntimeException e) {
                // Unknown how far it got: follow it again later, never ask it anew.
                result = new StepResult(StepResult.Result.PENDING, "unexpected: " + e, Duration.ZERO, 0, 0, List.of(),
                        java.util.Optional.empty());
            }
            Instant ended = clock.instant();
            move = attempt.advance(step, result, ended, Duration.ofNanos(System.nanoTime() - began));
            journal.save(move);
            LOG.info("{}: {} {} in {} ms: {}{} ({})", move.plan().describe(), step, result.result(),
                    (System.nanoTime() - began) / 1_000_000, result.note(),
                    result.requestIds().isEmpty() ? "" : " " + result.requestIds(), move.plan().reason());
            if (result.result() == StepResult.Result.PENDING) {
                break;
            }
        }
        if (move.status() != MoveState.Status.IN_FLIGHT) {
            LOG.info("{}", move.summary());
        }
        return move;
    }
}
