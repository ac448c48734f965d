package io.understudy.scheduler.config;

import static java.util.Objects.requireNonNull;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Optional;

/**
 * The controller's status API: where it listens and how long it waits for a client. Every path but
 * {@code /v1/health} needs the cluster token ({@code agents.auth.clusterToken} or
 * {@code clusterTokenFile}), so {@code listen} needs one of them.
 *
 * @param listen {@code listen}: HOST:PORT of the status API ({@code /v1/health},
 *     {@code /v1/rounds/latest}, {@code /v1/detection}); empty: none
 * @param idleTimeout {@code api.idleTimeout}: a connection is closed when it has not completed a
 *     request's line and headers this long after it opened or after its last answer (a client that
 *     never finishes its headers, or trickles them, holds nothing longer), and a response the client
 *     does not read is given up after it; whole seconds
 * @param workers {@code api.workers}: threads that answer complete requests; a client still sending
 *     its request holds none
 */
public record ApiConfig(Optional<InetSocketAddress> listen, Duration idleTimeout, int workers) {

    public static final ApiConfig DEFAULT = new ApiConfig(Optional.empty(), Duration.ofSeconds(10), 4);

    public ApiConfig {
        requireNonNull(listen, "listen is null");
        requireNonNull(idleTimeout, "idleTimeout is null");
        if (idleTimeout.toMillis() < 1000 || idleTimeout.toMillis() % 1000 != 0) {
            throw new IllegalArgumentException("api.idleTimeout must be whole seconds, at least 1s");
        }
        if (workers < 1) {
            throw new IllegalArgumentException("api.workers must be at least 1");
        }
    }
}
