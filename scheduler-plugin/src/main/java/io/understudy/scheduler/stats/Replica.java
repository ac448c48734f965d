package io.understudy.scheduler.stats;

import static java.util.Objects.requireNonNull;

/**
 * A secondary's replica of one VM, as the secondary's agent reports it.
 *
 * @param version the deltas it has applied; -1 when its agent does not say (an agent from before versions)
 */
public record Replica(String host, double lagSeconds, long version) {

    public Replica {
        requireNonNull(host, "host is null");
        if (Double.isNaN(lagSeconds) || lagSeconds < 0) {
            throw new IllegalArgumentException("replica lag on " + host + " must be a non-negative number, not " + lagSeconds);
        }
    }
}
