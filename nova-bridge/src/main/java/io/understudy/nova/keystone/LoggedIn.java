package io.understudy.nova.keystone;

import static java.util.Objects.requireNonNull;

import java.time.Clock;
import java.time.Duration;

/**
 * A service's own Keystone session, shared by the threads that call with it: logged in at first
 * use, again shortly before its token expires, and again when a service refuses the token.
 */
public final class LoggedIn {

    /** Log in again this long before expiry, so that no request leaves with a token that dies on the way. */
    public static final Duration RENEW_BEFORE_EXPIRY = Duration.ofSeconds(60);

    private final SessionSource source;
    private final Clock clock;
    private ComputeSession session;

    public LoggedIn(SessionSource source, Clock clock) {
        this.source = requireNonNull(source, "source is null");
        this.clock = requireNonNull(clock, "clock is null");
    }

    /** The session to call with now. */
    public synchronized ComputeSession current() {
        if (session == null || !clock.instant().isBefore(session.expiresAt().minus(RENEW_BEFORE_EXPIRY))) {
            session = source.login();
        }
        return session;
    }

    /** A service refused REFUSED's token: log in again, unless another thread already has. */
    public synchronized ComputeSession renew(ComputeSession refused) {
        if (session == refused) {
            session = source.login();
        }
        return session;
    }
}
