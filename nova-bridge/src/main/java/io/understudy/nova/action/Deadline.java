package io.understudy.nova.action;

import java.time.Duration;

/** A point on the monotonic clock by which something must have happened. */
record Deadline(long nanoTime) {

    static Deadline after(Duration duration) {
        return new Deadline(System.nanoTime() + duration.toNanos());
    }

    boolean passed() {
        return System.nanoTime() - nanoTime >= 0;
    }

    Duration left() {
        long left = nanoTime - System.nanoTime();
        return left > 0 ? Duration.ofNanos(left) : Duration.ZERO;
    }
}
