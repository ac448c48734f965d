package io.understudy.scheduler.moves;

import static java.util.Objects.requireNonNull;

import java.time.Instant;
import java.util.List;

/**
 * One step as the journal keeps it.
 *
 * @param tookMillis the whole step; {@code novaMillis} Nova's own share of it
 */
public record StepRecord(Step step, StepResult.Result result, String note, Instant endedAt, long tookMillis,
        long novaMillis, int novaRequests, int agentRequests, List<String> requestIds) {

    public StepRecord {
        requireNonNull(step, "step is null");
        requireNonNull(result, "result is null");
        requireNonNull(note, "note is null");
        requireNonNull(endedAt, "endedAt is null");
        requestIds = requestIds == null ? List.of() : List.copyOf(requestIds);
    }
}
