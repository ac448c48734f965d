package io.understudy.nova.client;

import static java.util.Objects.requireNonNull;

import java.time.Duration;

/**
 * How often a request is sent when Nova answers 5xx, unreadably or not at all: at most
 * {@code attempts} times, waiting {@code backoff} in between. 4xx answers are final at once.
 */
public record RetryPolicy(int attempts, Backoff backoff) {

    /** Four attempts over about 3.5 s: rides out an API worker restart, not a Nova outage. */
    public static final RetryPolicy DEFAULT = new RetryPolicy(4,
            new Backoff(Duration.ofMillis(500), Duration.ofSeconds(2)));

    public RetryPolicy {
        if (attempts < 1) {
            throw new IllegalArgumentException("retry attempts " + attempts + " is below 1");
        }
        requireNonNull(backoff, "backoff is null");
    }
}
