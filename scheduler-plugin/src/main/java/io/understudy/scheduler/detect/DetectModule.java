package io.understudy.scheduler.detect;

import static java.util.Objects.requireNonNull;

import com.google.inject.AbstractModule;
import com.google.inject.Provides;
import com.google.inject.Singleton;
import com.google.inject.multibindings.OptionalBinder;
import io.understudy.scheduler.bmc.PowerChannel;
import io.understudy.scheduler.config.AgentsConfig;
import io.understudy.scheduler.config.DetectionConfig;
import io.understudy.scheduler.metrics.ControllerMetrics;
import io.understudy.scheduler.round.FailedHosts;
import io.understudy.scheduler.stats.AgentsModule;
import io.understudy.scheduler.stats.NovaReader;
import java.time.Clock;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Failure detection: the detector, the failed hosts it tells the rounds, and the prober that
 * {@code serve} starts. The BMCs' power channel comes from the moves module (the hosts fenced by Redfish).
 */
public final class DetectModule extends AbstractModule {

    private final DetectionConfig config;
    private final AgentsConfig agents;

    public DetectModule(DetectionConfig config, AgentsConfig agents) {
        this.config = requireNonNull(config, "config is null");
        this.agents = requireNonNull(agents, "agents is null");
    }

    @Override
    protected void configure() {
        OptionalBinder.newOptionalBinder(binder(), FailedHosts.class).setBinding().to(Detection.class);
    }

    @Provides
    @Singleton
    Detection detection(Clock clock) {
        return new Detection(new Detector(config), clock);
    }

    @Provides
    @Singleton
    Prober prober(NovaReader nova, PowerChannel power, Detection detection, ControllerMetrics metrics, Clock clock) {
        AtomicInteger n = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(agents.parallelism(), r -> {
            Thread t = new Thread(r, "probe-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        return new Prober(config, AgentsModule.directory(agents, config.probeTimeout()), agents.endpoints().keySet(),
                nova, power, detection, metrics, clock, pool);
    }
}
