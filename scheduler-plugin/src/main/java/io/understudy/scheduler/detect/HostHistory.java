package io.understudy.scheduler.detect;

import static java.util.Objects.requireNonNull;

import io.understudy.scheduler.bmc.PowerReading;
import java.util.Optional;

/**
 * A host's probe history, folded to what detection needs: how many probes its agent missed or
 * answered in a row, and what its BMC said while the agent was silent.
 *
 * @param missed probes missed in a row (0 once one is answered)
 * @param answered probes answered in a row (0 once one is missed)
 * @param lastMiss why the last missed probe missed; empty when none was ever missed
 * @param power the BMC's latest reading since the agent stopped answering
 */
public record HostHistory(int missed, int answered, String lastMiss, Optional<PowerReading> power) {

    public static final HostHistory NEW = new HostHistory(0, 0, "", Optional.empty());

    public HostHistory {
        requireNonNull(lastMiss, "lastMiss is null");
        requireNonNull(power, "power is null");
    }

    /** @param miss why the probe missed; empty when the agent answered */
    HostHistory probed(Optional<String> miss) {
        // A BMC reading speaks for the silence it was taken in; an answer ends that silence.
        return miss.map(m -> new HostHistory(missed + 1, 0, m, power))
                .orElseGet(() -> new HostHistory(0, answered + 1, lastMiss, Optional.empty()));
    }

    /** A BMC reading counts only while the agent is silent: one read before the silence began says nothing of it. */
    HostHistory powered(PowerReading reading) {
        return missed == 0 ? this : new HostHistory(missed, answered, lastMiss, Optional.of(reading));
    }
}
