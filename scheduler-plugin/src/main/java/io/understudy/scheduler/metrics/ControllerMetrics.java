package io.understudy.scheduler.metrics;

import static java.util.Objects.requireNonNull;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.understudy.nova.client.NovaException;
import io.understudy.scheduler.decide.Decision;
import io.understudy.scheduler.detect.HostReport;
import io.understudy.scheduler.detect.HostState;
import io.understudy.scheduler.round.RoundResult;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;

/**
 * What the controller counts, by name. Prometheus names come from Micrometer's: dots become
 * underscores, the base unit is appended ({@code _seconds}), counters end in {@code _total};
 * label values never carry a unit.
 */
public final class ControllerMetrics {

    /** Buckets of the round histogram: a round takes well under a second, a slow Nova seconds. */
    private static final Duration[] ROUND_BUCKETS = seconds(0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30);
    /** Buckets of the move histogram: a failover takes seconds, a live migration of a large VM minutes. */
    private static final Duration[] MOVE_BUCKETS = seconds(5, 10, 20, 30, 60, 120, 300, 600, 1800);

    private final PrometheusMeterRegistry registry;
    private final MultiGauge hostStates;
    private final MultiGauge replicaLags;

    public ControllerMetrics(PrometheusMeterRegistry registry) {
        this.registry = requireNonNull(registry, "registry is null");
        this.hostStates = MultiGauge.builder("understudy.controller.host.detection.state")
                .description("1 for each host's failure-detection state as this controller sees it, 0 for the others")
                .register(registry);
        this.replicaLags = MultiGauge.builder("understudy.controller.replica.lag").baseUnit("seconds")
                .description("each replica's lag as the last evaluation round read it from its holder's agent")
                .register(registry);
    }

    /** A round of KIND (evaluation, placement) ended; a failed one could not read Nova. */
    public void round(String kind, RoundResult result) {
        Timer.builder("understudy.controller.round.duration").description("evaluation and placement rounds")
                .tags("round", kind, "result", result.ok() ? "ok" : "failed").serviceLevelObjectives(ROUND_BUCKETS)
                .register(registry).record(Duration.between(result.startedAt(), result.finishedAt()));
    }

    /**
     * An evaluation round's decisions by outcome, the VMs on quiet hosts (which it does not decide
     * one by one) counted as staying; and the lag of every replica it read, replacing the last round's.
     */
    public void evaluated(RoundResult result) {
        Map<String, Integer> outcomes = new HashMap<>();
        outcomes.merge("stay", result.quietStays(), Integer::sum);
        for (Decision d : result.decisions()) {
            outcomes.merge(d.outcome().name().toLowerCase(Locale.ROOT), 1, Integer::sum);
        }
        outcomes.forEach((outcome, n) -> counter("understudy.controller.decisions", "decisions by outcome",
                "outcome", outcome).increment(n));
        result.evaluation().ifPresent(evaluation -> {
            Map<UUID, String> primaries = new HashMap<>();
            result.nova().ifPresent(nova -> nova.servers().forEach(s -> s.host().ifPresent(h -> primaries.put(s.id(), h))));
            List<MultiGauge.Row<?>> rows = new ArrayList<>();
            evaluation.hosts().forEach((host, verdict) -> verdict.sample().replicaLagSeconds().forEach((vm, lag) -> {
                // The primary's agent keeps the version it started from: not a replica elsewhere.
                if (!host.equals(primaries.get(vm))) {
                    rows.add(MultiGauge.Row.of(Tags.of("vm", vm.toString(), "host", host), lag));
                }
            }));
            replicaLags.register(rows, true);
        });
    }

    /** A move of KIND ended as OUTCOME after TOOK (from its start to its end, across restarts). */
    public void move(String kind, String outcome, Duration took) {
        Timer.builder("understudy.controller.move.duration").description("moves that ended, by kind and outcome")
                .tags("kind", kind, "outcome", outcome).serviceLevelObjectives(MOVE_BUCKETS).register(registry)
                .record(took);
    }

    /** FENCER fenced a host, or could not. */
    public void fence(String fencer, boolean fenced) {
        counter("understudy.controller.fences", "fences by fencer and outcome", "fencer", fencer,
                "outcome", fenced ? "fenced" : "failed").increment();
    }

    /** A request to Nova failed: its HTTP status, or none when Nova did not answer. */
    public void novaError(NovaException e) {
        counter("understudy.controller.nova.request.errors", "requests to Nova that failed, retries included",
                "status", e.status().isPresent() ? String.valueOf(e.status().getAsInt()) : "none").increment();
    }

    /** A REQUEST (health, stats, stage, ...) to HOST's agent failed. */
    public void agentError(String host, String request) {
        counter("understudy.controller.agent.request.errors", "requests to agents that failed",
                "host", host, "request", request).increment();
    }

    /** Prometheus text of everything counted, with HOSTS' detection states as they are now. */
    public String scrape(List<HostReport> hosts) {
        hostStates(hosts);
        return registry.scrape();
    }

    /** Every host's detection state: 1 for its state, 0 for the others. */
    private void hostStates(List<HostReport> hosts) {
        List<MultiGauge.Row<?>> rows = new ArrayList<>();
        for (HostReport h : hosts) {
            for (HostState state : HostState.values()) {
                rows.add(MultiGauge.Row.of(Tags.of("host", h.host(), "state", state.name().toLowerCase(Locale.ROOT)),
                        h.state() == state ? 1 : 0));
            }
        }
        hostStates.register(rows, true);
    }

    private Counter counter(String name, String description, String... tags) {
        return Counter.builder(name).description(description).tags(tags).register(registry);
    }

    private static Duration[] seconds(double... values) {
        Duration[] out = new Duration[values.length];
        for (int i = 0; i < values.length; i++) {
            out[i] = Duration.ofMillis(Math.round(values[i] * 1000));
        }
        return out;
    }
}
