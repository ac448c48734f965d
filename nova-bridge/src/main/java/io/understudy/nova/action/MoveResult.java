package io.understudy.nova.action;

import static java.util.Objects.requireNonNull;

import io.understudy.nova.state.Migration;
import io.understudy.nova.state.Server;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * How a live migration or an evacuation ended, as read back from Nova.
 *
 * @param target the host asked for, or the one Nova's record named when a move in flight was followed
 * @param reason one line: why it ended so, with Nova's own words where it gave some
 * @param resumed whether a move Nova already had was followed instead of starting one
 * @param migration Nova's migration record as last read
 * @param lastSeen the server as last read
 * @param requestIds Nova's ids of the requests that changed something (to find them in Nova's logs
 *     and the server's action log)
 * @param requests every request sent to Nova for this move, polls and retries included (a request
 *     sent again after a re-login counts once)
 */
public record MoveResult(Kind kind, UUID server, String target, Outcome outcome, String reason, boolean resumed,
        Optional<Migration> migration, Optional<Server> lastSeen, List<String> requestIds, Timing timing,
        int requests) {

    /** Which move. */
    public enum Kind {
        LIVE_MIGRATION("live migration"), EVACUATION("evacuation");

        private final String words;

        Kind(String words) {
            this.words = words;
        }

        @Override
        public String toString() {
            return words;
        }
    }

    /** How it ended; only {@link #COMPLETED} means the server runs on the target. */
    public enum Outcome {
        /** Nova's record ended well and the server is ACTIVE on the target with no task under way. */
        COMPLETED,
        /**
         * Nova would not do it (a 4xx, or its scheduler or pre-checks ended the record in "error")
         * and the server is where it was: another host may be tried.
         */
        REFUSED,
        /** Nova answered 409 (task state, lock) or has another move of the server in flight: nothing started. */
        CONFLICT,
        /** Evacuation only: the source is not proven down in Nova; nothing was sent. */
        NOT_FENCED,
        /** Live migration only: it outlasted its timeout and was cancelled; the server is on its source. */
        ABORTED,
        /** Nova's move failed and left the server elsewhere than its source, or in ERROR: an operator must look. */
        FAILED,
        /**
         * Nova's state could not be brought to an end (no answer within retries, a deadline passed,
         * interrupted): the move may go on in Nova. Run it again or follow it with
         * {@link MovesInFlight}: both pick up what Nova has instead of starting anew.
         */
        UNRESOLVED
    }

    /**
     * Where the time went.
     *
     * @param checks reading Nova before asking (server, records, the source's service)
     * @param request asking, until Nova accepted (retries included); zero for a followed move
     * @param nova Nova's own work, from its acceptance until the server was read back settled
     */
    public record Timing(Duration checks, Duration request, Duration nova) {
        public Timing {
            requireNonNull(checks, "checks is null");
            requireNonNull(request, "request is null");
            requireNonNull(nova, "nova is null");
        }

        public Duration total() {
            return checks.plus(request).plus(nova);
        }
    }

    public MoveResult {
        requireNonNull(kind, "kind is null");
        requireNonNull(server, "server is null");
        requireNonNull(target, "target is null");
        requireNonNull(outcome, "outcome is null");
        requireNonNull(reason, "reason is null");
        requireNonNull(migration, "migration is null");
        requireNonNull(lastSeen, "lastSeen is null");
        requestIds = List.copyOf(requireNonNull(requestIds, "requestIds is null"));
        requireNonNull(timing, "timing is null");
        if (requests < 0) {
            throw new IllegalArgumentException("requests " + requests + " is negative");
        }
    }

    /** One line for logs and records. */
    public String summary() {
        return String.format("%s of %s to %s: %s%s, %s; checks %d ms, request %d ms, Nova %d ms; %d requests %s",
                kind, server, target, outcome, resumed ? " (followed a move already in Nova)" : "", reason,
                timing.checks().toMillis(), timing.request().toMillis(), timing.nova().toMillis(), requests, requestIds);
    }
}
