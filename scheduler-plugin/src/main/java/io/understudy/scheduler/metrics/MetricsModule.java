package io.understudy.scheduler.metrics;

import com.google.inject.AbstractModule;
import com.google.inject.Provides;
import com.google.inject.Singleton;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;

/** Metrics: one registry for everything the controller counts, scraped by the status API. */
public final class MetricsModule extends AbstractModule {

    @Provides
    @Singleton
    ControllerMetrics metrics() {
        return new ControllerMetrics(new PrometheusMeterRegistry(PrometheusConfig.DEFAULT));
    }
}
