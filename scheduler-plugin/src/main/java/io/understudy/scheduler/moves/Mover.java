package io.understudy.scheduler.moves;

import static java.util.Objects.requireNonNull;

import io.understudy.scheduler.metrics.ControllerMetrics;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs moves step by step, journaling before and after each step: a move is begun (claimed in
 * the journal), each step is marked attempted before it runs and recorded when it ends, and the
 * move goes on until it ends or Nova's state is unresolved. A restarted controller resumes every
 * move left in flight from its recorded step. One log line per step: the move (VM, hosts), the
 * step, how it ended, Nova's request ids, and why the VM moves.
 *
 * <p>A {@linkplain Step#repeatable() repeatable} step (the final sync, the roles)
 * is neither marked nor recorded alone: its record goes into the journal with the next write, the
 * next step's mark or the move's end. Each durable write is one the move waits for, and these
 * change nothing a restart does: a controller that stops before that write finds the step still
 * next and runs it again, which is what it does with a step marked attempted but not ended, and
 * what it asks is harmless twice. A step that is not repeatable is marked before it runs, with the
 * records of the repeatable steps before it. Its end is recorded at once, except a
 * {@linkplain Step#followed() followed} step's (the live migration, the evacuation) that the move
 * goes on from: a controller that stops before the next write finds it marked and learns from Nova
 * how it ended. A step that leaves the move waiting on Nova or ends it is always recorded at once.
 *
 * <p>Before a move begins and before each of its steps that is not repeatable, except the first
 * (which the beginning's claim covers), the VM is claimed in the journal from the claim version
 * read before the decision, in the same write as the step's mark ({@link Journal#claimAndSave}):
 * of two controllers that decided on the same VM
 * at once, the one that loses the claim logs that another controller claimed it and carries out
 * nothing more that may not be asked twice, whichever database node each writes through. A
 * repeatable step is not claimed: two controllers running it is running it twice, which is
 * harmless.
 */
public final class Mover {

    private static final Logger LOG = LoggerFactory.getLogger(Mover.class);

    private final MoveSteps steps;
    private final Journal journal;
    private final ControllerMetrics metrics;
    private final Clock clock;
    /**
     * The VMs whose moves run in this process now: a round's settling follows the moves left in
     * flight, and one asked through the API runs beside the rounds, which must not follow it too.
     */
    private final Set<UUID> running = ConcurrentHashMap.newKeySet();

    public Mover(MoveSteps steps, Journal journal, ControllerMetrics metrics, Clock clock) {
        this.steps = requireNonNull(steps, "steps is null");
        this.journal = requireNonNull(journal, "journal is null");
        this.metrics = requireNonNull(metrics, "metrics is null");
        this.clock = requireNonNull(clock, "clock is null");
    }

    /**
     * Begins PLAN, decided on now, and runs it until it ends or waits on Nova.
     *
     * @throws MoveConflictException when the VM has an open move already, or another controller claimed it
     */
    public MoveState start(MovePlan plan) {
        return start(plan, journal.claims().getOrDefault(plan.vm(), 0L));
    }

    /**
     * Begins PLAN, decided on when the VM's claim was at SEEN, and runs it until it ends or waits on Nova.
     *
     * @throws MoveConflictException when the VM has an open move already, or another controller
     *     claimed it since SEEN
     */
    public MoveState start(MovePlan plan, long seen) {
        // Before the claim: a claim taken here would stop the move that runs at its next step.
        if (!running.add(plan.vm())) {
            throw new MoveConflictException("a move of vm " + plan.vm() + " runs in this controller now");
        }
        try {
            MoveState move = MoveState.begin(plan, clock.instant());
            long claimed = journal.claim(plan.vm(), seen, "begin " + plan.describe(), move.startedAt())
                    .orElseThrow(() -> {
                        LOG.info("{}: not started: another controller claimed the VM since this one read its claim"
                                + " (version {})", plan.describe(), seen);
                        return new MoveConflictException("another controller claimed vm " + plan.vm()
                                + " since this one decided");
                    });
            steps.prepare(plan);
            try {
                journal.begin(move);
            } catch (RuntimeException e) {
                steps.abandon(plan);
                throw e;
            }
            LOG.info("{}: begins ({})", plan.describe(), plan.reason());
            return run(move, claimed, true);
        } finally {
            running.remove(plan.vm());
        }
    }

    /** Whether a move of VM runs in this process now (begun or followed here, not yet ended or waiting). */
    public boolean running(UUID vm) {
        return running.contains(vm);
    }

    /** Follows every move the journal has in flight, from its recorded step. */
    public List<MoveState> resumeAll() {
        Map<UUID, Long> claims = journal.claims();
        return journal.open().stream().filter(m -> m.status() == MoveState.Status.IN_FLIGHT)
                .map(m -> resume(m, claims.getOrDefault(m.plan().vm(), 0L))).toList();
    }

    /** Follows MOVE from its recorded step, read when the VM's claim was at SEEN. */
    public MoveState resume(MoveState move, long seen) {
        if (!running.add(move.plan().vm())) {
            LOG.info("{}: not resumed: it runs in this controller now", move.plan().describe());
            return move;
        }
        try {
            LOG.info("{}: resumed at {} ({})", move.plan().describe(), move.nextStep().orElseThrow(), move.lastNote());
            return run(move, seen, false);
        } finally {
            running.remove(move.plan().vm());
        }
    }

    /**
     * Runs BEGUN's steps, each that is not repeatable claimed first, from the claim at version
     * CLAIMED; JUST_CLAIMED: the move was claimed a moment ago as it began, which also claims its
     * first step (a durable write less that the move waits for; a claim taken meanwhile still stops
     * it at its next step that is not repeatable).
     */
    private MoveState run(MoveState begun, long claimed, boolean justClaimed) {
        MoveState move = begun;
        long version = claimed;
        boolean claimNext = !justClaimed;
        while (move.status() == MoveState.Status.IN_FLIGHT) {
            Step step = move.nextStep().orElseThrow();
            MoveState attempt = move;
            if (!step.repeatable()) {
                attempt = move.attempting(clock.instant());
                if (claimNext) {
                    // Claimed and marked in one write: the move waits for one, not two.
                    OptionalLong next = journal.claimAndSave(version, step + " of " + move.plan().describe(), attempt);
                    if (next.isEmpty()) {
                        LOG.info("{}: {} not carried out here: another controller claimed the VM (claim version {}"
                                + " gone)", move.plan().describe(), step, version);
                        break;
                    }
                    version = next.getAsLong();
                } else {
                    journal.save(attempt);
                }
            }
            claimNext = true;
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
            boolean goesOn = move.status() == MoveState.Status.IN_FLIGHT && result.result() != StepResult.Result.PENDING;
            if (!((step.repeatable() || step.followed()) && goesOn)) {
                journal.save(move);
            }
            LOG.info("{}: {} {} in {} ms: {}{} ({})", move.plan().describe(), step, result.result(),
                    (System.nanoTime() - began) / 1_000_000, result.note(),
                    result.requestIds().isEmpty() ? "" : " " + result.requestIds(), move.plan().reason());
            if (result.result() == StepResult.Result.PENDING) {
                break;
            }
        }
        if (move.status() != MoveState.Status.IN_FLIGHT) {
            LOG.info("{}", move.summary());
            metrics.move(move.plan().kind().label(), move.status().name().toLowerCase(Locale.ROOT),
                    Duration.between(move.startedAt(), move.updatedAt()));
        }
        return move;
    }
}
