package io.understudy.scheduler.config;

import static java.util.Objects.requireNonNull;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Optional;
import java.util.Set;

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
 * @param keystone {@code api.keystone}: which Keystone tokens are let in, and for how long one is
 *     trusted without asking Keystone again
 */
public record ApiConfig(Optional<InetSocketAddress> listen, Duration idleTimeout, int workers, Keystone keystone) {

    public static final ApiConfig DEFAULT = new ApiConfig(Optional.empty(), Duration.ofSeconds(10), 4,
            Keystone.DEFAULT);

    /**
     * Keystone tokens ({@code X-Auth-Token}), validated with the controller's own credentials.
     * Keystone lists the roles an assigned role implies too (admin implies member implies reader
     * in a default deployment), so {@code reader} lets in every user with a role on a project.
     *
     * @param readerRoles {@code api.keystone.readerRoles}: any of these lets a token read (GET, HEAD)
     * @param actorRoles {@code api.keystone.actorRoles}: any of these lets a token act (every other method)
     * @param cacheTime {@code api.keystone.cacheTime}: how long a validated token is trusted before
     *     Keystone is asked again (never past its expiry): a token revoked in Keystone is refused here
     *     at most this long after, as keystonemiddleware's {@code token_cache_time} does for OpenStack's APIs
     */
    public record Keystone(Set<String> readerRoles, Set<String> actorRoles, Duration cacheTime) {

        public static final Keystone DEFAULT = new Keystone(Set.of("reader"), Set.of("admin"), Duration.ofMinutes(5));

        public Keystone {
            readerRoles = Set.copyOf(readerRoles);
            actorRoles = Set.copyOf(actorRoles);
            requireNonNull(cacheTime, "cacheTime is null");
            if (readerRoles.isEmpty() || actorRoles.isEmpty()) {
                throw new IllegalArgumentException("api.keystone.readerRoles and actorRoles need at least one role");
            }
            if (cacheTime.isNegative()) {
                throw new IllegalArgumentException("api.keystone.cacheTime must not be negative");
            }
        }
    }

    public ApiConfig {
        requireNonNull(listen, "listen is null");
        requireNonNull(idleTimeout, "idleTimeout is null");
        requireNonNull(keystone, "keystone is null");
        if (idleTimeout.toMillis() < 1000 || idleTimeout.toMillis() % 1000 != 0) {
            throw new IllegalArgumentException("api.idleTimeout must be whole seconds, at least 1s");
        }
        if (workers < 1) {
            throw new IllegalArgumentException("api.workers must be at least 1");
        }
    }
}
