package io.understudy.nova.action;

import static java.util.Objects.requireNonNull;

import java.time.Instant;

/**
 * Proof from the controller's fencer that a host can no longer run anything: an evacuation
 * cannot be asked for without one, because an evacuated server whose old host still runs it
 * runs twice and corrupts its disk.
 *
 * @param host the compute host fenced, as Nova names it
 * @param how which fencer did what, for logs and records, e.g. "redfish power-off via bmc-7"
 * @param at when the fencer confirmed it
 */
public record Fenced(String host, String how, Instant at) {

    public Fenced {
        Hosts.requireHost(host);
        requireNonNull(how, "how is null");
        if (how.isBlank()) {
            throw new IllegalArgumentException("fence of " + host + ": 'how' is blank");
        }
        requireNonNull(at, "at is null");
    }
}
