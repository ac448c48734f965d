package io.understudy.nova.action;

import static java.util.Objects.requireNonNull;

import io.understudy.nova.state.ComputeService;
import io.understudy.nova.state.Migration;
import java.util.List;
import java.util.Optional;

/**
 * How setting or lifting a compute service's forced_down (and Understudy's disable) ended, as read back from Nova.
 *
 * @param forcedDown what was asked: true to force it down (and disable it), false to lift that
 * @param before the service as Nova had it before anything was asked, when it could be read: whether it
 *     was disabled already, and why
 * @param service the service as Nova has it afterwards, when it could be read
 * @param reason one line, with Nova's words where it refused
 * @param awaitingCleanup the evacuations away from the host still "done": while there are any,
 *     Nova refuses to lift forced_down
 * @param requestIds Nova's ids of the requests that changed something
 * @param requests every request sent, retries included (a request sent again after a re-login counts once)
 */
public record ServiceChange(String host, boolean forcedDown, Outcome outcome, Optional<ComputeService> before,
        Optional<ComputeService> service, String reason, List<Migration> awaitingCleanup, List<String> requestIds,
        int requests) {

    /** How it ended. */
    public enum Outcome {
        /** Nova now has the service as asked. */
        CHANGED,
        /** Nova had it so already: nothing was sent. */
        UNCHANGED,
        /**
         * Lifting only: evacuations away from the host are still "done", not "completed": its
         * nova-compute must restart and clean up first. Ask again after.
         */
        AWAITING_CLEANUP,
        /** Nova refused (4xx), or knows no nova-compute on that host. */
        REFUSED,
        /** Nova could not be read or did not answer within the retries. */
        UNRESOLVED
    }

    public ServiceChange {
        Hosts.requireHost(host);
        requireNonNull(outcome, "outcome is null");
        requireNonNull(before, "before is null");
        requireNonNull(service, "service is null");
        requireNonNull(reason, "reason is null");
        awaitingCleanup = List.copyOf(requireNonNull(awaitingCleanup, "awaitingCleanup is null"));
        requestIds = List.copyOf(requireNonNull(requestIds, "requestIds is null"));
    }

    /** Whether Nova has the service as asked, now or already. */
    public boolean done() {
        return outcome == Outcome.CHANGED || outcome == Outcome.UNCHANGED;
    }
}
