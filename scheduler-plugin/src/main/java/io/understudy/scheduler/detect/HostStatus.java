package io.understudy.scheduler.detect;

import static java.util.Objects.requireNonNull;

/** A host's detection state, with what each channel said. */
public record HostStatus(String host, HostState state, String reason) {

    public HostStatus {
        requireNonNull(host, "host is null");
        requireNonNull(state, "state is null");
        requireNonNull(reason, "reason is null");
    }
}
