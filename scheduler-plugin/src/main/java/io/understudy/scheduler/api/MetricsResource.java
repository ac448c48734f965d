package io.understudy.scheduler.api;

import io.understudy.scheduler.detect.Detection;
import io.understudy.scheduler.metrics.ControllerMetrics;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;

/** {@code GET /metrics}: Prometheus text, with the cluster token like the rest but health. */
@Path("metrics")
public final class MetricsResource {

    private final ControllerMetrics metrics;
    private final Detection detection;

    MetricsResource(ControllerMetrics metrics, Detection detection) {
        this.metrics = metrics;
        this.detection = detection;
    }

    @GET
    @Produces("text/plain; version=0.0.4; charset=utf-8")
    public String scrape() {
        return metrics.scrape(detection.report());
    }
}
