package io.understudy.nova.action;

import static java.util.Objects.requireNonNull;

import io.understudy.nova.client.Backoff;
import io.understudy.nova.client.NovaException;
import java.time.Duration;
import java.util.Optional;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * Reads Nova until what it reads satisfies a condition, with growing waits, up to a deadline.
 * Nova tells the end of a move only by being asked: there is nothing to wait on but its answers.
 */
final class Poll {

    /** How polling stopped. */
    enum End {
        /** The condition held. */
        REACHED,
        /** The deadline passed first. */
        DEADLINE,
        /** The thread was interrupted (its flag is set again). */
        INTERRUPTED,
        /** A read failed past its retries, or Nova's answer lacked what it must have. */
        READ_FAILED
    }

    /**
     * @param last the last value read, if any read found one
     * @param error the failed read's error, for {@link End#READ_FAILED}
     */
    record Outcome<T>(End end, Optional<T> last, Optional<RuntimeException> error) {
        Outcome {
            requireNonNull(end, "end is null");
            requireNonNull(last, "last is null");
            requireNonNull(error, "error is null");
        }
    }

    private Poll() {
    }

    /**
     * Reads at once, then after each wait of BACKOFF until REACHED holds for a value read, or the
     * deadline passes (one read still happens at the deadline).
     */
    static <T> Outcome<T> until(Supplier<Optional<T>> read, Predicate<T> reached, Deadline deadline, Backoff backoff) {
        Optional<T> last = Optional.empty();
        for (int polls = 1; ; polls++) {
            try {
                Optional<T> value = read.get();
                if (value.isPresent()) {
                    last = value;
                    if (reached.test(value.get())) {
                        return new Outcome<>(End.REACHED, last, Optional.empty());
                    }
                }
            } catch (NovaException | IllegalStateException e) {
                return new Outcome<>(Thread.currentThread().isInterrupted() ? End.INTERRUPTED : End.READ_FAILED,
                        last, Optional.of(e));
            }
            if (deadline.passed()) {
                return new Outcome<>(End.DEADLINE, last, Optional.empty());
            }
            Duration wait = backoff.delay(polls);
            try {
                Thread.sleep(Math.max(1, Math.min(wait.toMillis(), deadline.left().toMillis())));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return new Outcome<>(End.INTERRUPTED, last, Optional.empty());
            }
        }
    }
}
