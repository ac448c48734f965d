package io.understudy.scheduler.bmc;

import static java.util.Objects.requireNonNull;

/**
 * What a host's BMC said about its power, when asked.
 *
 * @param detail one line: the BMC's PowerState, or why there is none
 */
public record PowerReading(Power power, String detail) {

    public enum Power {
        /** The BMC reports PowerState On (or powering on or off, or paused): the host may run VMs. */
        ON,
        /** The BMC reports PowerState Off. */
        OFF,
        /** No answer from the BMC in time (refused, timed out): a host that lost power takes its BMC along. */
        UNREACHABLE,
        /** The BMC answered without a power state (401, 5xx, a TLS or garbled answer): nothing is known. */
        UNKNOWN
    }

    public PowerReading {
        requireNonNull(power, "power is null");
        requireNonNull(detail, "detail is null");
    }

    /** Whether this agrees that the host failed (DESIGN.md, "Failure": off or unreachable). */
    public boolean offOrUnreachable() {
        return power == Power.OFF || power == Power.UNREACHABLE;
    }
}
