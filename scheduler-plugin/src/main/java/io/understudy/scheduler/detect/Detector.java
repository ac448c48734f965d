package io.understudy.scheduler.detect;

import static java.util.Objects.requireNonNull;

import io.understudy.scheduler.bmc.PowerReading;
import io.understudy.scheduler.config.DetectionConfig;
import io.understudy.scheduler.yaml.Durations;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Probe history + Nova's reports + BMC readings + clock → OK, SUSPECT or FAILED per host, with
 * why. Pure: every event returns a new {@link State}, judged at the time the caller passes.
 *
 * <p>A host is FAILED when its agent missed {@code missedProbes} probes in a row and a second,
 * independent channel agrees: its BMC reports it off or unreachable, or its nova-compute stopped
 * reporting. One channel alone makes it SUSPECT. A FAILED host stays FAILED until its agent has
 * answered {@code missedProbes} probes in a row: its VMs are being failed over, and a host seen
 * for one probe (while it is being fenced, say) must not turn their failover back into live
 * migrations.
 *
 * <p>Nova's reports are judged in Nova's clock where they can be: a report's age is taken from
 * the later of this controller's clock and the freshest report of any nova-compute. So a clock
 * that jumps back still sees a compute fall silent among the others, and a clock that jumps ahead
 * (every report looks old, as when Nova stops recording them) confirms nothing.
 */
public final class Detector {

    private final DetectionConfig config;

    public Detector(DetectionConfig config) {
        this.config = requireNonNull(config, "config is null");
    }

    /**
     * What detection knows.
     *
     * @param hosts the hosts probed in the last cycle, each with its history
     * @param nova Nova's last listing of its compute services
     * @param novaProblem why the last attempt to read Nova failed; empty once a read succeeds
     * @param statuses the verdicts, per host
     */
    public record State(Map<String, HostHistory> hosts, Optional<NovaReports> nova, Optional<String> novaProblem,
            Map<String, HostStatus> statuses) {

        public static final State INITIAL = new State(Map.of(), Optional.empty(), Optional.empty(), Map.of());

        public State {
            hosts = Map.copyOf(hosts);
            requireNonNull(nova, "nova is null");
            requireNonNull(novaProblem, "novaProblem is null");
            statuses = Map.copyOf(statuses);
        }
    }

    /**
     * One probe cycle: every host probed, with why its probe missed (empty: answered). Hosts not
     * probed are no longer tracked.
     */
    public State probed(State state, Map<String, Optional<String>> probes, Instant now) {
        Map<String, HostHistory> hosts = new TreeMap<>();
        probes.forEach((host, miss) -> hosts.put(host, state.hosts().getOrDefault(host, HostHistory.NEW).probed(miss)));
        return judged(hosts, state.nova(), state.novaProblem(), state.statuses(), now);
    }

    /** HOST's BMC answered; taken into account while its agent is silent. */
    public State powerRead(State state, String host, PowerReading reading, Instant now) {
        HostHistory h = state.hosts().get(host);
        if (h == null) {
            return state;
        }
        Map<String, HostHistory> hosts = new TreeMap<>(state.hosts());
        hosts.put(host, h.powered(reading));
        return judged(hosts, state.nova(), state.novaProblem(), state.statuses(), now);
    }

    public State novaRead(State state, NovaReports reports, Instant now) {
        return judged(state.hosts(), Optional.of(reports), Optional.empty(), state.statuses(), now);
    }

    /** Nova could not be read: until it is again, its reports confirm nothing. */
    public State novaFailed(State state, String problem, Instant now) {
        return judged(state.hosts(), Optional.empty(), Optional.of(problem), state.statuses(), now);
    }

    /**
     * When Nova should next be read for detection's sake: for every host whose agent is missing
     * probes and whose nova-compute is not yet silent, the moment its silence would pass its
     * limit — so that a dead compute is seen at once, not up to a read interval later. Now when
     * Nova was never read, or could not be; empty when no agent is missing probes. Nova's clock
     * running ahead of this one (its freshest report newer than the read) brings the moment
     * forward by as much; a moment already past means read now: the host may have reported late.
     */
    public Optional<Instant> novaDue(State state, Instant now) {
        List<String> silentAgents = state.hosts().entrySet().stream()
                .filter(e -> e.getValue().missed() > 0)
                .filter(e -> state.statuses().get(e.getKey()) == null
                        || state.statuses().get(e.getKey()).state() != HostState.FAILED)
                .map(Map.Entry::getKey).toList();
        if (silentAgents.isEmpty()) {
            return Optional.empty();
        }
        if (state.nova().isEmpty()) {
            return Optional.of(now);
        }
        NovaReports r = state.nova().get();
        Duration ahead = r.freshest().filter(f -> f.isAfter(r.readAt())).map(f -> Duration.between(r.readAt(), f))
                .orElse(Duration.ZERO);
        Instant due = null;
        for (String host : silentAgents) {
            Optional<Instant> last = r.updatedAt().getOrDefault(host, Optional.empty());
            if (last.isEmpty()) {
                // No record, or never reported: nothing to wait for.
                continue;
            }
            Instant silentAt = last.get().plus(config.silenceLimit(host)).minus(ahead).plusMillis(1);
            if (due == null || silentAt.isBefore(due)) {
                due = silentAt;
            }
        }
        return Optional.ofNullable(due).map(d -> d.isBefore(now) ? now : d);
    }

    private State judged(Map<String, HostHistory> hosts, Optional<NovaReports> nova, Optional<String> novaProblem,
            Map<String, HostStatus> previous, Instant now) {
        Map<String, HostStatus> statuses = new TreeMap<>();
        hosts.forEach((host, h) -> {
            boolean wasFailed = previous.containsKey(host) && previous.get(host).state() == HostState.FAILED;
            statuses.put(host, judge(host, h, wasFailed, novaChannel(host, nova, novaProblem, now)));
        });
        return new State(hosts, nova, novaProblem, statuses);
    }

    /** What one channel says: down (agrees the host failed) or not, and in words. */
    private record Channel(boolean down, String says) {}

    private HostStatus judge(String host, HostHistory h, boolean wasFailed, Channel nova) {
        int n = config.missedProbes();
        boolean agentGone = h.missed() >= n;
        String agent = h.missed() == 0 ? "agent answers"
                : "agent missed " + h.missed() + (h.missed() == 1 ? " probe" : " probes in a row") + " (" + h.lastMiss()
                        + ")";
        Optional<Channel> power = h.power().map(r -> new Channel(r.offOrUnreachable(), show(r)));
        List<String> words = new ArrayList<>();
        words.add(agent);
        words.add(nova.says());
        power.ifPresent(p -> words.add(p.says()));
        String reason = String.join("; ", words);
        if (wasFailed && h.answered() < n) {
            String clearing = h.answered() == 0 ? ""
                    : "; failed until its agent answers " + n + " probes in a row (" + h.answered() + " so far)";
            return new HostStatus(host, HostState.FAILED, reason + clearing);
        }
        boolean agrees = nova.down() || power.map(Channel::down).orElse(false);
        HostState state = agentGone && agrees ? HostState.FAILED
                : agentGone || agrees ? HostState.SUSPECT : HostState.OK;
        return new HostStatus(host, state, reason);
    }

    private Channel novaChannel(String host, Optional<NovaReports> nova, Optional<String> problem, Instant now) {
        if (problem.isPresent()) {
            return new Channel(false, "Nova unreadable: " + problem.get());
        }
        if (nova.isEmpty()) {
            return new Channel(false, "Nova not read yet");
        }
        NovaReports r = nova.get();
        Duration limit = config.silenceLimit(host);
        Duration age = Duration.between(r.readAt(), now);
        if (age.isNegative()) {
            return new Channel(false, "the clock went back since Nova was last read");
        }
        if (age.compareTo(limit) > 0) {
            return new Channel(false, "Nova last read " + seconds(age) + " ago");
        }
        if (!r.updatedAt().containsKey(host)) {
            return new Channel(false, "no nova-compute service record");
        }
        Optional<Instant> freshest = r.freshest();
        Instant reference = freshest.filter(f -> f.isAfter(r.readAt())).orElse(r.readAt());
        if (freshest.isEmpty() || Duration.between(freshest.get(), reference).compareTo(limit) > 0) {
            return new Channel(false, "no nova-compute reported within " + Durations.format(limit)
                    + " by this controller's clock (its clock ahead, or Nova not recording reports)");
        }
        Optional<Instant> last = r.updatedAt().get(host);
        if (last.isEmpty()) {
            return new Channel(true, "nova-compute never reported");
        }
        Duration silent = Duration.between(last.get(), reference);
        String interval = "report interval " + Durations.format(config.reportInterval(host)) + " + margin "
                + Durations.format(config.reportMargin());
        return silent.compareTo(limit) > 0
                ? new Channel(true, "nova-compute silent for " + seconds(silent) + " (" + interval + ")")
                : new Channel(false, "nova-compute reported " + seconds(silent) + " ago");
    }

    private static String show(PowerReading r) {
        String what = switch (r.power()) {
            case ON -> "BMC reports power on";
            case OFF -> "BMC reports power off";
            case UNREACHABLE -> "BMC unreachable";
            case UNKNOWN -> "BMC power unknown";
        };
        return r.detail().isBlank() ? what : what + " (" + r.detail() + ")";
    }

    private static String seconds(Duration d) {
        return Durations.format(Duration.ofSeconds(Math.max(0, d.getSeconds())));
    }
}
