package io.understudy.agent.libvirt;

import java.time.Duration;
import java.util.Locale;
import java.util.Objects;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.libvirt.Connect;
import org.libvirt.Error;
import org.libvirt.LibvirtException;
import org.libvirt.jna.Libvirt;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The connection to one libvirt URI, opened again whenever it dies. libvirt-java reports a closed
 * connection by callback only while libvirt's event loop runs in a thread of ours; instead a call
 * that fails asks the connection whether it is still alive (a killed or restarted daemon leaves
 * it closed for good), and a dead one is replaced in the background: the first try at once (a
 * restarted daemon is usually back already), then after {@link #FIRST_RETRY}, doubling up to the
 * configured maximum, for as long as it takes. Meanwhile every call fails at once with
 * {@link LibvirtUnreachableException}.
 */
final class Link implements AutoCloseable {

    static final Duration FIRST_RETRY = Duration.ofMillis(500);
    /**
     * libvirt prints every error to stderr unless a handler is set; ours come back as exceptions
     * anyway. Held here for good: JNA must not collect a callback the C library still calls.
     */
    private static final Libvirt.VirErrorCallback QUIET = (data, error) -> { };
    private static final Logger LOG = LoggerFactory.getLogger(Link.class);

    private final String uri;
    private final Duration maxRetry;
    private final ScheduledExecutorService retries;
    /** Null while unreachable. */
    private Connect current;
    /** Why it is unreachable: libvirt's words at the last try. */
    private String reason;
    private long lostNanos;
    private int attempts;
    private boolean closed;

    private Link(String uri, Duration maxRetry) {
        this.uri = uri;
        this.maxRetry = maxRetry;
        this.retries = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "libvirt-reconnect");
            t.setDaemon(true);
            return t;
        });
    }

    /**
     * Connects to {@code uri}. A daemon that does not answer is an error only with
     * {@code mustAnswer}; otherwise the link starts unreachable and keeps trying. A URI no
     * daemon could ever answer (no such driver, unparsable, refused credentials) is always an error.
     */
    static Link open(String uri, Duration maxRetry, boolean mustAnswer) throws HypervisorException {
        Objects.requireNonNull(uri, "uri");
        Link link = new Link(uri, Objects.requireNonNull(maxRetry, "maxRetry"));
        try {
            Connect.setErrorCallback(QUIET);
            link.current = new Connect(uri);
        } catch (LibvirtException e) {
            if (mustAnswer || !daemonAbsent(e)) {
                link.retries.shutdownNow();
                String hint = uri.startsWith("qemu:") ? " (is libvirtd running? devstack/libvirt.sh up starts it)" : "";
                throw new HypervisorException("cannot connect to " + uri + hint, e);
            }
            synchronized (link) {
                link.down(e.getError().getMessage());
            }
        }
        return link;
    }

    String uri() {
        return uri;
    }

    /** The open connection; throws while there is none. */
    synchronized Connect get() throws LibvirtUnreachableException {
        if (closed) {
            throw new IllegalStateException("the connection to " + uri + " is closed");
        }
        if (current == null) {
            throw unreachable();
        }
        return current;
    }

    /**
     * What a failed call on this link throws: {@link LibvirtUnreachableException} when the
     * connection died under it (and a new one is on its way), otherwise the call's own error.
     */
    HypervisorException failed(String what, LibvirtException e) {
        Connect c;
        synchronized (this) {
            c = current;
        }
        if (c != null && alive(c)) {
            return new HypervisorException(what, e);
        }
        synchronized (this) {
            if (c != null && current == c && !closed) {
                down(e.getError().getMessage());
            }
            // Already connected again (another thread noticed first, long ago): the call's own error.
            return current == null && !closed ? unreachable() : new HypervisorException(what, e);
        }
    }

    private static boolean alive(Connect c) {
        try {
            return c.isAlive();
        } catch (LibvirtException e) {
            return false;
        }
    }

    /** libvirt's words when nothing listens where the URI points (socket, port, host, ssh). */
    private static boolean daemonAbsent(LibvirtException e) {
        return e.getError().getCode() == Error.ErrorNumber.VIR_ERR_SYSTEM_ERROR
                && e.getError().getDomain() == Error.ErrorDomain.VIR_FROM_RPC;
    }

    private LibvirtUnreachableException unreachable() {
        double seconds = (System.nanoTime() - lostNanos) / 1e9;
        return new LibvirtUnreachableException(String.format(Locale.ROOT,
                "libvirt unreachable at %s for %.1f s (%s); reconnecting", uri, seconds, reason));
    }

    /**
     * The connection no longer serves. The dead one is not closed here: another thread may be
     * inside a call on it; the finalizer of libvirt-java's {@code Connect} closes it once nothing
     * refers to it.
     */
    private void down(String why) {
        assert Thread.holdsLock(this);
        current = null;
        reason = why;
        lostNanos = System.nanoTime();
        attempts = 0;
        LOG.warn("libvirt at {} unreachable: {}; rounds and fencing fail until it answers; reconnecting at once, then "
                + "after {} ms doubling up to {} s", uri, why, FIRST_RETRY.toMillis(), maxRetry.toMillis() / 1000.0);
        retries.execute(() -> attempt(Duration.ZERO));
    }

    private void attempt(Duration delay) {
        Connect c;
        try {
            c = new Connect(uri);
        } catch (LibvirtException e) {
            Duration next = delay.isZero() ? FIRST_RETRY : min(delay.multipliedBy(2), maxRetry);
            synchronized (this) {
                if (closed) {
                    return;
                }
                attempts++;
                reason = e.getError().getMessage();
                retries.schedule(() -> attempt(next), next.toMillis(), TimeUnit.MILLISECONDS);
            }
            LOG.debug("libvirt at {} still unreachable: {}; next try in {} ms", uri, reason, next.toMillis());
            return;
        }
        synchronized (this) {
            if (closed) {
                closeQuietly(c);
                return;
            }
            current = c;
            attempts++;
            LOG.info("libvirt at {} reachable again after {} s ({} tries)", uri,
                    String.format(Locale.ROOT, "%.1f", (System.nanoTime() - lostNanos) / 1e9), attempts);
            reason = null;
        }
    }

    private static Duration min(Duration a, Duration b) {
        return a.compareTo(b) <= 0 ? a : b;
    }

    private static void closeQuietly(Connect c) {
        try {
            c.close();
        } catch (LibvirtException e) {
            LOG.debug("closing a connection nobody uses: {}", e.getError().getMessage());
        }
    }

    @Override
    public void close() throws HypervisorException {
        Connect c;
        synchronized (this) {
            closed = true;
            c = current;
            current = null;
        }
        retries.shutdownNow();
        if (c != null) {
            try {
                c.close();
            } catch (LibvirtException e) {
                throw new HypervisorException("close the connection to " + uri, e);
            }
        }
    }
}
