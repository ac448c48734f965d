package io.understudy.scheduler.moves;

import static java.util.Objects.requireNonNull;

import io.understudy.nova.action.Fenced;
import io.understudy.scheduler.bmc.Bmc;
import io.understudy.scheduler.bmc.Bmcs;
import io.understudy.scheduler.bmc.PowerReading;
import io.understudy.scheduler.bmc.PowerReading.Power;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.UUID;

/**
 * Fences a host by powering it off through its BMC (Redfish ForceOff) and waiting until the BMC
 * reports PowerState Off. A host the BMC reports off already needs no ForceOff (another VM's
 * failover powered it off). Only the BMC's Off is proof: a BMC that does not answer, refuses,
 * or still reports On within the timeout leaves the host unfenced.
 */
public final class RedfishFencer implements Fencer {

    private final Bmcs bmcs;
    private final Duration timeout;
    private final Duration poll;
    private final Clock clock;

    /**
     * @param timeout from the first request until the BMC must report Off
     * @param poll between reads of the power state after the ForceOff
     */
    public RedfishFencer(Bmcs bmcs, Duration timeout, Duration poll, Clock clock) {
        this.bmcs = requireNonNull(bmcs, "bmcs is null");
        this.timeout = requireNonNull(timeout, "timeout is null");
        this.poll = requireNonNull(poll, "poll is null");
        this.clock = requireNonNull(clock, "clock is null");
    }

    @Override
    public Fence fence(String host, UUID vm) {
        Optional<Bmc> configured = bmcs.of(host);
        if (configured.isEmpty()) {
            return Fence.refused("redfish: no BMC is configured for " + host, 0, 0);
        }
        Bmc bmc = configured.get();
        Instant deadline = clock.instant().plus(timeout);
        PowerReading before = bmc.power(left(deadline));
        if (before.power() == Power.OFF) {
            return fenced(host, bmc, "its BMC reports it off already", before);
        }
        if (before.power() != Power.ON) {
            return Fence.refused("redfish: " + before.detail(), 0, 0);
        }
        try {
            bmc.forceOff(left(deadline));
        } catch (IOException e) {
            return Fence.refused("redfish: ForceOff of " + host + ": " + e.getMessage(), 0, 0);
        }
        PowerReading last = before;
        // Read again while a read still has a poll's time to answer before the deadline.
        while (Duration.between(clock.instant(), deadline).compareTo(poll.multipliedBy(2)) >= 0) {
            try {
                Thread.sleep(poll.toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return Fence.refused("redfish: interrupted while waiting for " + host + " to power off", 0, 0);
            }
            last = bmc.power(left(deadline));
            if (last.power() == Power.OFF) {
                return fenced(host, bmc, "ForceOff, then its BMC reported it off", last);
            }
        }
        return Fence.refused("redfish: " + host + " not reported Off within " + timeout.toMillis() + " ms of "
                + "ForceOff (last read: " + last.detail() + ")", 0, 0);
    }

    private Fence fenced(String host, Bmc bmc, String how, PowerReading off) {
        Instant at = clock.instant();
        return Fence.done(new Fenced(host, "redfish " + bmc.system() + ": " + how + " (" + off.detail() + ")", at),
                host + " fenced: " + how + " (" + bmc.system() + ")", 0, 0);
    }

    /** What is left of the time until DEADLINE, at least a millisecond (a request needs a positive timeout). */
    private Duration left(Instant deadline) {
        Duration left = Duration.between(clock.instant(), deadline);
        return left.compareTo(Duration.ofMillis(1)) < 0 ? Duration.ofMillis(1) : left;
    }
}
