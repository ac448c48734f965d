package io.understudy.scheduler.moves;

import static java.util.Objects.requireNonNull;

import io.understudy.nova.action.Fenced;
import io.understudy.nova.client.Backoff;
import io.understudy.nova.client.NovaException;
import io.understudy.nova.state.ComputeService;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.UUID;

/**
 * The fence of issue 6, kept as the {@code nova-down} method (DESIGN.md section 4): the host's
 * nova-compute must be down in Nova by its own silence, not reporting for longer than
 * {@code service_down_time}. Forced down alone proves nothing (Nova calls a forced-down service
 * down at once, even one that still runs), so a service forced down moments ago is watched until
 * its silence is long enough; one that Nova shows up is refused at once. This proves only what
 * Nova sees, and only after service_down_time: a partitioned host may still run its VMs, and a
 * guest may outlive its nova-compute ({@link AgentChecked} completes it). The confirmed fencers
 * (Redfish, agent, process) prove more, at once.
 */
public final class NovaDownFencer implements Fencer {

    private final NovaMoves nova;
    private final Duration serviceDownTime;
    private final Backoff polling;
    private final Clock clock;

    public NovaDownFencer(NovaMoves nova, Duration serviceDownTime, Backoff polling, Clock clock) {
        this.nova = requireNonNull(nova, "nova is null");
        this.serviceDownTime = requireNonNull(serviceDownTime, "serviceDownTime is null");
        this.polling = requireNonNull(polling, "polling is null");
        this.clock = requireNonNull(clock, "clock is null");
    }

    @Override
    public Fence fence(String host, UUID vm) {
        Instant deadline = clock.instant().plus(serviceDownTime).plus(polling.max());
        int requests = 0;
        for (int poll = 1; ; poll++) {
            Optional<ComputeService> found;
            try {
                requests++;
                found = nova.computeService(host);
            } catch (NovaException | IllegalStateException e) {
                return refused("could not read " + host + "'s nova-compute: " + e.getMessage(), requests);
            }
            if (found.isEmpty()) {
                return refused("Nova knows no nova-compute on " + host, requests);
            }
            ComputeService service = found.get();
            Instant now = clock.instant();
            if (service.up()) {
                return refused(host + "'s nova-compute is up in Nova (last report " + lastReport(service)
                        + "): it may still run its VMs", requests);
            }
            if (service.silentFor(serviceDownTime, now)) {
                return Fence.done(new Fenced(host, "Nova shows its nova-compute down"
                        + (service.forcedDown() ? " (forced down)" : "") + ", silent since " + lastReport(service)
                        + ", longer than service_down_time " + serviceDownTime.toSeconds() + " s", now),
                        host + " fenced: its nova-compute is down in Nova, silent since " + lastReport(service),
                        requests, 0);
            }
            if (!now.isBefore(deadline)) {
                return refused(host + "'s nova-compute is forced down but reported at " + lastReport(service)
                        + ", within service_down_time " + serviceDownTime.toSeconds() + " s: it may still run its VMs",
                        requests);
            }
            try {
                Thread.sleep(Math.max(1, Math.min(polling.delay(poll).toMillis(),
                        Duration.between(now, deadline).toMillis())));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return refused("interrupted while waiting for " + host + "'s nova-compute to fall silent", requests);
            }
        }
    }

    private static Fence refused(String why, int requests) {
        return Fence.refused(why, requests, 0);
    }

    private static String lastReport(ComputeService service) {
        return service.updatedAt().map(Instant::toString).orElse("never");
    }
}
