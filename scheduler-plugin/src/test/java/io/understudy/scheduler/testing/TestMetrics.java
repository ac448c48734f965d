package io.understudy.scheduler.testing;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.understudy.scheduler.metrics.ControllerMetrics;

/** The controller's metrics for a test: a registry of their own, as the metrics module makes one. */
public final class TestMetrics {

    private TestMetrics() {
    }

    public static ControllerMetrics fresh() {
        return new ControllerMetrics(new PrometheusMeterRegistry(PrometheusConfig.DEFAULT));
    }
}
