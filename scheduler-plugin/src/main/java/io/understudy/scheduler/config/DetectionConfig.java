package io.understudy.scheduler.config;

import static java.util.Objects.requireNonNull;

import java.time.Duration;
import java.util.Map;
import java.util.Optional;

/**
 * Failure detection ({@code detection:}): how often the agents are probed, how many missed probes
 * make a host's agent count as gone, and how long a nova-compute may stay silent.
 *
 * @param probeInterval {@code detection.probeInterval}: between two probes of every agent's {@code /v1/health}
 * @param probeTimeout {@code detection.probeTimeout}: a probe not answered within this is missed
 * @param missedProbes {@code detection.missedProbes}: probes missed in a row before the agent counts
 *     as gone; as many answered in a row clear a failed host
 * @param reportInterval {@code detection.reportInterval}: Nova's {@code report_interval} (its API
 *     does not expose it): how often a live nova-compute writes its {@code updated_at}
 * @param reportMargin {@code detection.reportMargin}: a nova-compute is silent once its last report
 *     is older than its report interval plus this
 * @param novaReadInterval {@code detection.novaReadInterval}: between two reads of Nova's compute
 *     services (one request for all); empty: half the shortest report interval
 * @param bmcTimeout {@code detection.bmcTimeout}: how long a silent host's BMC (where one is
 *     configured, {@code moves.fencing}) may take to say whether its power is on
 * @param reportIntervals {@code detection.hosts.HOST.reportInterval}: per host where it differs
 */
public record DetectionConfig(Duration probeInterval, Duration probeTimeout, int missedProbes, Duration reportInterval,
        Duration reportMargin, Optional<Duration> novaReadInterval, Duration bmcTimeout,
        Map<String, Duration> reportIntervals) {

    public static final DetectionConfig DEFAULT = new DetectionConfig(Duration.ofSeconds(1), Duration.ofMillis(500), 3,
            Duration.ofSeconds(10), Duration.ofSeconds(2), Optional.empty(), Duration.ofSeconds(2), Map.of());

    public DetectionConfig {
        requireNonNull(probeInterval, "probeInterval is null");
        requireNonNull(probeTimeout, "probeTimeout is null");
        requireNonNull(reportInterval, "reportInterval is null");
        requireNonNull(reportMargin, "reportMargin is null");
        requireNonNull(novaReadInterval, "novaReadInterval is null");
        requireNonNull(bmcTimeout, "bmcTimeout is null");
        reportIntervals = Map.copyOf(requireNonNull(reportIntervals, "reportIntervals is null"));
        if (missedProbes < 1) {
            throw new IllegalArgumentException("detection.missedProbes must be at least 1");
        }
        // A probe still in flight when the next one is due would hold up every host's next probe.
        if (probeTimeout.compareTo(probeInterval) > 0) {
            throw new IllegalArgumentException("detection.probeTimeout " + probeTimeout.toMillis()
                    + "ms is longer than detection.probeInterval " + probeInterval.toMillis() + "ms");
        }
    }

    /** HOST's nova-compute report interval. */
    public Duration reportInterval(String host) {
        return reportIntervals.getOrDefault(host, reportInterval);
    }

    /** How long HOST's nova-compute may go without reporting before it counts as silent. */
    public Duration silenceLimit(String host) {
        return reportInterval(host).plus(reportMargin);
    }

    /** Between two reads of Nova's compute services. */
    public Duration novaEvery() {
        return novaReadInterval.orElseGet(() -> reportIntervals.values().stream().reduce(reportInterval,
                (a, b) -> a.compareTo(b) <= 0 ? a : b).dividedBy(2));
    }
}
