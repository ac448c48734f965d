package io.understudy.scheduler.detect;

import static java.util.Objects.requireNonNull;

import java.time.Instant;

/**
 * A host's detection state as {@code status} and the status API show it.
 *
 * @param since when this controller saw the host enter this state
 */
public record HostReport(String host, HostState state, String reason, Instant since) {

    public HostReport {
        requireNonNull(host, "host is null");
        requireNonNull(state, "state is null");
        requireNonNull(reason, "reason is null");
        requireNonNull(since, "since is null");
    }
}
