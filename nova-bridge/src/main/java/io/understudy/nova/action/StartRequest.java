package io.understudy.nova.action;

import static java.util.Objects.requireNonNull;

import io.understudy.nova.client.NovaCalls;
import io.understudy.nova.client.NovaException;
import io.understudy.nova.client.NovaRequest;
import io.understudy.nova.client.RetryPolicy;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * Sends a request that starts a move, so that Nova starts it at most once. A 5xx or a lost
 * answer does not say whether Nova acted: before each new attempt, and before a 409 that
 * follows such an answer is taken as a refusal, Nova is read for a trace of the earlier one
 * (its migration record, the server's task state); a trace means it started.
 */
final class StartRequest {

    /** How asking ended. */
    sealed interface Answer permits Accepted, StartedEarlier, Refused, NoAnswer {
    }

    /** Nova answered 2xx to this request. */
    record Accepted(Optional<String> requestId) implements Answer {
    }

    /** An attempt whose answer was lost did start it: TRACE says what Nova shows. */
    record StartedEarlier(String trace) implements Answer {
    }

    /** Nova answered 4xx, and shows no trace of an earlier attempt. */
    record Refused(NovaException error) implements Answer {
    }

    /** No usable answer within the retries, and no trace: Nova may still act on a request in transit. */
    record NoAnswer(RuntimeException error) implements Answer {
    }

    private StartRequest() {
    }

    /**
     * @param nova sends each attempt once (retrying is done here, with the trace check between)
     * @param trace reads Nova for a trace of an earlier attempt; empty when there is none
     */
    static Answer send(NovaCalls nova, NovaRequest request, RetryPolicy retry, Supplier<Optional<String>> trace) {
        requireNonNull(request, "request is null");
        NovaException lost = null;
        for (int attempt = 1; ; attempt++) {
            if (lost != null) {
                try {
                    Thread.sleep(retry.backoff().delay(attempt - 1).toMillis());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return new NoAnswer(lost);
                }
                Optional<Answer> earlier = earlier(trace);
                if (earlier.isPresent()) {
                    return earlier.get();
                }
            }
            try {
                return new Accepted(nova.send(request).requestId());
            } catch (NovaException e) {
                if (e.succeeded()) {
                    return new Accepted(e.requestId());
                }
                if (!e.retryable()) {
                    return lost == null ? new Refused(e) : earlier(trace).orElse(new Refused(e));
                }
                if (attempt == retry.attempts()) {
                    return earlier(trace).orElse(new NoAnswer(e));
                }
                lost = e;
            }
        }
    }

    /** What Nova shows of an earlier attempt; a failed read is no answer, never leave to send again. */
    private static Optional<Answer> earlier(Supplier<Optional<String>> trace) {
        try {
            return trace.get().map(StartedEarlier::new);
        } catch (NovaException | IllegalStateException e) {
            return Optional.of(new NoAnswer(e));
        }
    }
}
