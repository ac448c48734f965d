package io.understudy.nova.keystone;

import static java.util.Objects.requireNonNull;

import java.net.URI;
import java.time.Instant;

/**
 * A Keystone token and the Nova endpoint of the catalog it came with.
 *
 * @param computeEndpoint Nova's versioned root, e.g. {@code http://127.0.0.1:8774/v2.1}
 */
public record ComputeSession(String token, Instant expiresAt, URI computeEndpoint) {

    public ComputeSession {
        requireNonNull(token, "token is null");
        requireNonNull(expiresAt, "expiresAt is null");
        requireNonNull(computeEndpoint, "computeEndpoint is null");
    }

    /** Keeps the token out of logs. */
    @Override
    public String toString() {
        return "ComputeSession[expiresAt=" + expiresAt + ", computeEndpoint=" + computeEndpoint + "]";
    }
}
