package io.understudy.scheduler.bmc;

import java.time.Duration;
import java.util.Optional;
import java.util.Set;

/**
 * The hosts' power as their BMCs report it: the failure detector's second, independent channel
 * beside the agents' probes. Only hosts fenced by {@code redfish} ({@code moves.fencing}) have a BMC here.
 */
public interface PowerChannel {

    /** The hosts with a BMC configured. */
    Set<String> hosts();

    /**
     * Asks HOST's BMC now; blocks for at most TIMEOUT and never throws.
     *
     * @return empty when HOST has no BMC configured
     */
    Optional<PowerReading> read(String host, Duration timeout);
}
