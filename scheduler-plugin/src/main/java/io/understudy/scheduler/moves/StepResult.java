package io.understudy.scheduler.moves;

import static java.util.Objects.requireNonNull;

import io.understudy.nova.action.Fenced;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * How one step ended, as the step's adapter reports it.
 *
 * @param note one line: what happened, with Nova's or the agent's words
 * @param nova Nova's own time in the step (from its acceptance to the server read back), zero when it asked nothing
 * @param novaRequests requests sent to Nova, polls and retries included
 * @param agentRequests requests sent to agents
 * @param requestIds Nova's ids of the requests that changed something
 * @param fence the fencer's proof (the fence step only)
 */
public record StepResult(Result result, String note, Duration nova, int novaRequests, int agentRequests,
        List<String> requestIds, Optional<Fenced> fence) {

    /** What the move does next. */
    public enum Result {
        /** Go on with the next step. */
        DONE,
        /** Go on, but something an operator should know went wrong (a sync, the metadata, an agent away). */
        WARNED,
        /** Nova's state could not be brought to an end: the move stays at this step and is followed later. */
        PENDING,
        /** Nothing irreversible happened in this step: the move ends here; a later round may decide again. */
        STOPPED,
        /** Nova left the VM somewhere unexpected: the move ends here and the VM is held until an operator looks. */
        NEEDS_OPERATOR
    }

    public StepResult {
        requireNonNull(result, "result is null");
        requireNonNull(note, "note is null");
        requireNonNull(nova, "nova is null");
        requestIds = List.copyOf(requireNonNull(requestIds, "requestIds is null"));
        requireNonNull(fence, "fence is null");
        if (novaRequests < 0 || agentRequests < 0) {
            throw new IllegalArgumentException("step requests " + novaRequests + "/" + agentRequests + " are negative");
        }
    }

    /** A step that asked only agents. */
    public static StepResult agents(Result result, String note, int agentRequests) {
        return new StepResult(result, note, Duration.ZERO, 0, agentRequests, List.of(), Optional.empty());
    }
}
