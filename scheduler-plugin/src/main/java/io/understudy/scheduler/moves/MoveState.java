package io.understudy.scheduler.moves;

import static java.util.Objects.requireNonNull;

import io.understudy.nova.action.Fenced;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A move as the journal keeps it, and the pure rules of how it goes on: which step is next, and
 * what a step's result makes of it. Nothing here talks to Nova or agents.
 *
 * @param next the index in the kind's steps of the step to run next
 * @param attempted whether the next step was started before (the controller stopped, or Nova's
 *     answer was unresolved): it is then followed, never asked anew
 * @param fence the fencer's proof, once the fence step has one
 * @param steps every step run, in order, with the ones run again
 */
public record MoveState(MovePlan plan, Status status, int next, boolean attempted, Optional<Fenced> fence,
        Instant startedAt, Instant updatedAt, List<StepRecord> steps) {

    /** Where the move stands. */
    public enum Status {
        /** Steps are left; it is followed (after a restart too) from the next one. */
        IN_FLIGHT,
        /** Every step ran: the VM runs on the target and the roles flipped. */
        DONE,
        /** It stopped where nothing irreversible had happened; the VM may be decided on again. */
        STOPPED,
        /** It stopped with the VM in a state only an operator can judge: held until then. */
        NEEDS_OPERATOR;

        /** Whether the VM is held: no other move of it may start. */
        public boolean open() {
            return this == IN_FLIGHT || this == NEEDS_OPERATOR;
        }
    }

    public MoveState {
        requireNonNull(plan, "plan is null");
        requireNonNull(status, "status is null");
        requireNonNull(fence, "fence is null");
        requireNonNull(startedAt, "startedAt is null");
        requireNonNull(updatedAt, "updatedAt is null");
        steps = List.copyOf(requireNonNull(steps, "steps is null"));
        if (next < 0 || next > plan.kind().steps().size()) {
            throw new IllegalArgumentException("move of " + plan.vm() + ": step index " + next + " is outside its "
                    + plan.kind().steps().size() + " steps");
        }
        if (status == Status.IN_FLIGHT && next == plan.kind().steps().size()) {
            throw new IllegalArgumentException("move of " + plan.vm() + " is in flight with no step left");
        }
        // The steps done must be the kind's first NEXT: a journal from a version that ordered them
        // otherwise (the failover's force-down moved before the evacuation) is not resumed blindly.
        List<Step> done = steps.stream().filter(r -> r.result() == StepResult.Result.DONE
                || r.result() == StepResult.Result.WARNED).map(StepRecord::step).toList();
        if (!done.equals(plan.kind().steps().subList(0, next))) {
            throw new IllegalArgumentException(plan.describe() + ": steps done " + done + " are not the first " + next
                    + " of its steps " + plan.kind().steps() + " (journaled by another version?)");
        }
    }

    public static MoveState begin(MovePlan plan, Instant at) {
        return new MoveState(plan, Status.IN_FLIGHT, 0, false, Optional.empty(), at, at, List.of());
    }

    /** The step to run now; empty once the move ended. */
    public Optional<Step> nextStep() {
        return status == Status.IN_FLIGHT ? Optional.of(plan.kind().steps().get(next)) : Optional.empty();
    }

    /** Recorded before the next step starts, so that a restart follows it instead of asking again. */
    public MoveState attempting(Instant at) {
        return new MoveState(plan, status, next, true, fence, startedAt, at, steps);
    }

    /** The move after STEP ended with RESULT at AT, having taken TOOK. */
    public MoveState advance(Step step, StepResult result, Instant at, Duration took) {
        if (nextStep().filter(step::equals).isEmpty()) {
            throw new IllegalStateException("move of " + plan.vm() + ": step " + step + " ended, but the next step is "
                    + nextStep().map(Step::name).orElse(status.name()));
        }
        List<StepRecord> log = new ArrayList<>(steps);
        log.add(new StepRecord(step, result.result(), result.note(), at, took.toMillis(), result.nova().toMillis(),
                result.novaRequests(), result.agentRequests(), result.requestIds()));
        Optional<Fenced> proof = result.fence().or(() -> fence);
        return switch (result.result()) {
            case DONE, WARNED -> {
                int after = next + 1;
                Status s = after == plan.kind().steps().size() ? Status.DONE : Status.IN_FLIGHT;
                yield new MoveState(plan, s, after, false, proof, startedAt, at, log);
            }
            case PENDING -> new MoveState(plan, Status.IN_FLIGHT, next, true, proof, startedAt, at, log);
            case STOPPED -> new MoveState(plan, Status.STOPPED, next, attempted, proof, startedAt, at, log);
            case NEEDS_OPERATOR -> new MoveState(plan, Status.NEEDS_OPERATOR, next, attempted, proof, startedAt, at, log);
        };
    }

    /**
     * Whether this is a failover that stopped before Nova was asked to move the VM (the fence, the
     * force-down or the staging failed): nothing moved, so no cooldown, and the next round tries again.
     */
    public boolean blocked() {
        return status == Status.STOPPED && plan.kind() == MoveKind.FAILOVER
                && next < plan.kind().steps().indexOf(Step.EVACUATE);
    }

    /** Milliseconds per step, summed over the times a step ran. */
    public Map<Step, Long> millisByStep() {
        Map<Step, Long> by = new LinkedHashMap<>();
        steps.forEach(r -> by.merge(r.step(), r.tookMillis(), Long::sum));
        return by;
    }

    public int novaRequests() {
        return steps.stream().mapToInt(StepRecord::novaRequests).sum();
    }

    public int agentRequests() {
        return steps.stream().mapToInt(StepRecord::agentRequests).sum();
    }

    /** The last step's note: why it stopped, or where it stands. */
    public String lastNote() {
        return steps.isEmpty() ? "not started" : steps.get(steps.size() - 1).note();
    }

    /**
     * One line: what, how it ended, where the time went (Nova's own share of the Nova steps), the
     * controller's share in milliseconds, the requests sent. E.g. "live migration of VM compute1 ->
     * compute2: DONE in 6.3 s (final sync 0.0 s, live migration 6.1 s [Nova 5.9 s], re-designate
     * 0.1 s); the controller's share 302 ms (final sync 1, live migration 188, re-designate 95,
     * between steps 18); 30 Nova requests, 6 agent requests".
     */
    public String summary() {
        StringBuilder line = new StringBuilder(plan.describe()).append(": ").append(status);
        if (status == Status.STOPPED || status == Status.NEEDS_OPERATOR) {
            line.append(" at ").append(nextStep().orElse(plan.kind().steps().get(next))).append(" (")
                    .append(lastNote()).append(')');
        } else if (status == Status.IN_FLIGHT) {
            line.append(", next ").append(nextStep().orElseThrow()).append(" (").append(lastNote()).append(')');
        }
        line.append(" in ").append(seconds(totalMillis())).append(" (");
        Map<Step, Long> nova = novaMillisByStep();
        List<String> parts = new ArrayList<>();
        millisByStep().forEach((step, millis) -> parts.add(step + " " + seconds(millis)
                + (nova.get(step) > 0 ? " [Nova " + seconds(nova.get(step)) + "]" : "")));
        return line.append(String.join(", ", parts)).append("); ").append(controllerShare()).append("; ")
                .append(novaRequests()).append(" Nova requests, ").append(agentRequests()).append(" agent requests")
                .toString();
    }

    /**
     * The move's time beyond Nova's own, in milliseconds, and where it went: each step's time less
     * Nova's share of it, and the time between the steps (the journal's writes and the claims; for
     * a move resumed by another run, also the time it waited for it).
     */
    String controllerShare() {
        long stepsMillis = steps.stream().mapToLong(StepRecord::tookMillis).sum();
        long novaMillis = steps.stream().mapToLong(StepRecord::novaMillis).sum();
        Map<Step, Long> nova = novaMillisByStep();
        List<String> parts = new ArrayList<>();
        millisByStep().forEach((step, millis) -> parts.add(step + " " + (millis - nova.get(step))));
        parts.add("between steps " + (totalMillis() - stepsMillis));
        return "the controller's share " + (totalMillis() - novaMillis) + " ms (" + String.join(", ", parts) + ")";
    }

    private long totalMillis() {
        return Duration.between(startedAt, updatedAt).toMillis();
    }

    private Map<Step, Long> novaMillisByStep() {
        Map<Step, Long> nova = new LinkedHashMap<>();
        steps.forEach(r -> nova.merge(r.step(), r.novaMillis(), Long::sum));
        return nova;
    }

    private static String seconds(long millis) {
        return millis / 1000 + "." + (millis % 1000) / 100 + " s";
    }

    /** Why no other move of this VM may start, for decisions and errors. */
    public String holdReason() {
        return status == Status.NEEDS_OPERATOR
                ? plan.describe() + " stopped and needs an operator: " + lastNote()
                : plan.describe() + " in flight since " + startedAt + ", next " + nextStep().orElseThrow();
    }
}
