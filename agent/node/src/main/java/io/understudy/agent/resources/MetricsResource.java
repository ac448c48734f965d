package io.understudy.agent.resources;

import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.understudy.agent.replica.Replica;
import io.understudy.agent.replica.ReplicaStore;
import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import java.util.ArrayList;
import java.util.List;

/** {@code /metrics}: Prometheus text, counters kept by the resources plus each replica's lag and version. */
@Path("/metrics")
public final class MetricsResource {

    private final PrometheusMeterRegistry registry;
    private final ReplicaStore replicas;
    private final MultiGauge lag;
    private final MultiGauge version;

    @Inject
    public MetricsResource(PrometheusMeterRegistry registry, ReplicaStore replicas) {
        this.registry = registry;
        this.replicas = replicas;
        this.lag = MultiGauge.builder("understudy.replica.lag").baseUnit("seconds")
                .description("age of the newest guest state each replica holds").register(registry);
        this.version = MultiGauge.builder("understudy.replica.version")
                .description("deltas applied to each replica").register(registry);
    }

    @GET
    @Produces("text/plain; version=0.0.4; charset=utf-8")
    public String scrape() {
        List<MultiGauge.Row<?>> lags = new ArrayList<>();
        List<MultiGauge.Row<?>> versions = new ArrayList<>();
        for (Replica r : replicas.all()) {
            Tags vm = Tags.of("vm", r.state().vm().toString());
            r.lagSeconds().ifPresent(seconds -> lags.add(MultiGauge.Row.of(vm, seconds)));
            versions.add(MultiGauge.Row.of(vm, r.state().version()));
        }
        lag.register(lags, true);
        version.register(versions, true);
        return registry.scrape();
    }
}
