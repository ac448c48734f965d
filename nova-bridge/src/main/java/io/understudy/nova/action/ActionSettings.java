package io.understudy.nova.action;

import static java.util.Objects.requireNonNull;

import io.understudy.nova.client.Backoff;
import io.understudy.nova.client.RetryPolicy;
import java.time.Duration;

/**
 * Limits of the bridge's actions.
 *
 * @param retry how often a request is sent again after a 5xx, an unreadable answer or none
 * @param polling the waits between reads of Nova while following a move
 * @param liveMigrationTimeout how long a live migration of a server without RAM may take; past
 *     this plus {@code liveMigrationTimeoutPerGiB} per GiB of the server's RAM, {@code onTimeout}
 * @param liveMigrationTimeoutPerGiB the time allowed per GiB of RAM: what a live migration copies
 * @param onTimeout what is done to a live migration that runs out of time
 * @param settleTimeout how long Nova may take, once a migration record ended or was aborted, to
 *     put the server's status, host and task state where the record says
 * @param evacuationTimeout how long an evacuation may take until its record is "done"
 */
public record ActionSettings(RetryPolicy retry, Backoff polling, Duration liveMigrationTimeout,
        Duration liveMigrationTimeoutPerGiB, OnTimeout onTimeout, Duration settleTimeout,
        Duration evacuationTimeout) {

    /** What happens to a live migration that took too long. */
    public enum OnTimeout {
        /** Cancel it (2.24): the server stays where it was, and the controller may try elsewhere. */
        ABORT,
        /** Pause the server so that the last memory copy converges (2.22): the move lands, with a pause. */
        FORCE_COMPLETE
    }

    /**
     * A live migration gets 2 min plus 2 min per GiB (Nova's libvirt driver allows 800 s per GiB
     * before it acts itself), an evacuation 3 min.
     */
    public static final ActionSettings DEFAULTS = new ActionSettings(
            RetryPolicy.DEFAULT,
            // A move's end is seen within a quarter of a second: an evacuation's RTO and the
            // controller's share of a live migration count until then, and waits doubling up to 1 s
            // added up to a second to both. Four filtered reads a second per move in flight cost
            // Nova little.
            new Backoff(Duration.ofMillis(250), Duration.ofMillis(250)),
            Duration.ofMinutes(2),
            Duration.ofMinutes(2),
            OnTimeout.ABORT,
            Duration.ofMinutes(1),
            Duration.ofMinutes(3));

    public ActionSettings {
        requireNonNull(retry, "retry is null");
        requireNonNull(polling, "polling is null");
        positive(liveMigrationTimeout, "liveMigrationTimeout");
        requireNonNull(liveMigrationTimeoutPerGiB, "liveMigrationTimeoutPerGiB is null");
        if (liveMigrationTimeoutPerGiB.isNegative()) {
            throw new IllegalArgumentException("liveMigrationTimeoutPerGiB " + liveMigrationTimeoutPerGiB + " is negative");
        }
        requireNonNull(onTimeout, "onTimeout is null");
        positive(settleTimeout, "settleTimeout");
        positive(evacuationTimeout, "evacuationTimeout");
    }

    /** The time a live migration of a server with RAM_MIB of memory is given before {@link #onTimeout}. */
    public Duration liveMigrationTimeout(long ramMiB) {
        if (ramMiB < 0) {
            throw new IllegalArgumentException("RAM " + ramMiB + " MiB is negative");
        }
        return liveMigrationTimeout.plusNanos(Math.round(liveMigrationTimeoutPerGiB.toNanos() * (ramMiB / 1024.0)));
    }

    private static void positive(Duration duration, String name) {
        requireNonNull(duration, name + " is null");
        if (duration.isNegative() || duration.isZero()) {
            throw new IllegalArgumentException(name + " " + duration + " is not positive");
        }
    }
}
