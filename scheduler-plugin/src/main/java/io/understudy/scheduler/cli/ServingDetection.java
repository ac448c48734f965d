package io.understudy.scheduler.cli;

import static java.util.Objects.requireNonNull;

import io.understudy.scheduler.api.StatusClient;
import io.understudy.scheduler.api.StatusServer;
import io.understudy.scheduler.config.ControllerConfig;
import io.understudy.scheduler.detect.HostReport;
import io.understudy.scheduler.detect.HostState;
import io.understudy.scheduler.round.FailedHosts;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The serving controller's failure detection, read from its status API: {@code status} shows it,
 * and {@code plan} and {@code status} judge with its failed hosts, as the controller's rounds do.
 *
 * @param problem why there is no report
 */
record ServingDetection(Optional<StatusServer.DetectionReport> report, Optional<String> problem) implements FailedHosts {

    static final Duration TIMEOUT = Duration.ofSeconds(2);

    ServingDetection {
        requireNonNull(report, "report is null");
        requireNonNull(problem, "problem is null");
    }

    /** From the controller serving CONFIG's status API, with its cluster token. */
    static ServingDetection fetch(ControllerConfig config) {
        Optional<InetSocketAddress> listen = config.api().listen();
        if (listen.isEmpty()) {
            return new ServingDetection(Optional.empty(), Optional.of("unknown: no status API configured (listen)"));
        }
        try {
            return new ServingDetection(Optional.of(StatusClient.detection(listen.get(),
                    StatusServer.clusterToken(config.agents()), TIMEOUT)), Optional.empty());
        } catch (IOException | IllegalArgumentException e) {
            return new ServingDetection(Optional.empty(), Optional.of("unknown: " + e.getMessage()));
        }
    }

    @Override
    public Set<String> now() {
        return report.map(r -> r.hosts().stream().filter(h -> h.state() == HostState.FAILED).map(HostReport::host)
                .collect(Collectors.toUnmodifiableSet())).orElse(Set.of());
    }

    Optional<HostReport> host(String host) {
        return report.flatMap(r -> r.hosts().stream().filter(h -> h.host().equals(host)).findFirst());
    }
}
