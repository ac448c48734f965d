package io.understudy.nova.client;

import static java.util.Objects.requireNonNull;

import java.time.Duration;

/** Waits that double from {@code first} up to {@code max}: between retries, and between polls of Nova. */
public record Backoff(Duration first, Duration max) {

    public Backoff {
        requireNonNull(first, "first is null");
        requireNonNull(max, "max is null");
        if (first.isNegative() || first.isZero()) {
            throw new IllegalArgumentException("backoff first wait " + first + " is not positive");
        }
        if (max.compareTo(first) < 0) {
            throw new IllegalArgumentException("backoff max wait " + max + " is below its first wait " + first);
        }
    }

    /** The wait before the n-th retry or poll after the first (n from 1). */
    public Duration delay(int n) {
        if (n < 1) {
            throw new IllegalArgumentException("backoff step " + n + " is below 1");
        }
        Duration delay = first;
        for (int i = 1; i < n && delay.compareTo(max) < 0; i++) {
            delay = delay.multipliedBy(2);
        }
        return delay.compareTo(max) < 0 ? delay : max;
    }
}
