package io.understudy.scheduler.detect;

import static java.util.Objects.requireNonNull;

import io.understudy.scheduler.bmc.PowerReading;
import io.understudy.scheduler.round.FailedHosts;
import java.time.Clock;
import java.time.Instant;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Detection as the rest of the controller sees it: the failed hosts for the rounds, each host's
 * state for {@code status}. Fed by the {@link Prober}; logs one line per change of a host's state.
 */
public final class Detection implements FailedHosts {

    private static final Logger log = LoggerFactory.getLogger(Detection.class);

    private final Detector detector;
    private final Clock clock;
    private Detector.State state = Detector.State.INITIAL;
    private final Map<String, Instant> since = new HashMap<>();
    private volatile Set<String> failed = Set.of();

    public Detection(Detector detector, Clock clock) {
        this.detector = requireNonNull(detector, "detector is null");
        this.clock = requireNonNull(clock, "clock is null");
    }

    /** @return the hosts that have just turned FAILED */
    public synchronized Set<String> probed(Map<String, Optional<String>> probes) {
        return apply(detector.probed(state, probes, clock.instant()));
    }

    /** @return the hosts that have just turned FAILED */
    public synchronized Set<String> powerRead(String host, PowerReading reading) {
        return apply(detector.powerRead(state, host, reading, clock.instant()));
    }

    /** @return the hosts that have just turned FAILED */
    public synchronized Set<String> novaRead(NovaReports reports) {
        return apply(detector.novaRead(state, reports, clock.instant()));
    }

    /** @return the hosts that have just turned FAILED */
    public synchronized Set<String> novaFailed(String problem) {
        return apply(detector.novaFailed(state, problem, clock.instant()));
    }

    /** When Nova should next be read for detection's sake ({@link Detector#novaDue}). */
    public synchronized Optional<Instant> novaDue() {
        return detector.novaDue(state, clock.instant());
    }

    @Override
    public Set<String> now() {
        return failed;
    }

    /** Every host probed, in name order. */
    public synchronized List<HostReport> report() {
        return state.statuses().values().stream().sorted(Comparator.comparing(HostStatus::host))
                .map(s -> new HostReport(s.host(), s.state(), s.reason(), since.get(s.host()))).toList();
    }

    private Set<String> apply(Detector.State next) {
        Instant now = clock.instant();
        Set<String> turnedFailed = new TreeSet<>();
        next.statuses().forEach((host, s) -> {
            HostStatus before = state.statuses().get(host);
            // A host first seen OK is not news; first seen otherwise, it is.
            HostState was = before == null ? HostState.OK : before.state();
            if (before == null || s.state() != was) {
                since.put(host, now);
            }
            if (s.state() == was) {
                return;
            }
            switch (s.state()) {
                case FAILED -> log.error("host {}: FAILED: {}", host, s.reason());
                case SUSPECT -> log.warn("host {}: SUSPECT: {}", host, s.reason());
                case OK -> log.info("host {}: OK: {}", host, s.reason());
            }
            if (s.state() == HostState.FAILED) {
                turnedFailed.add(host);
            }
        });
        since.keySet().retainAll(next.statuses().keySet());
        state = next;
        Set<String> nowFailed = new TreeSet<>();
        next.statuses().values().stream().filter(s -> s.state() == HostState.FAILED).forEach(s -> nowFailed.add(s.host()));
        failed = Set.copyOf(nowFailed);
        return turnedFailed;
    }
}
