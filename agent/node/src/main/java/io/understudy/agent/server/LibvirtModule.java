package io.understudy.agent.server;

import com.google.inject.AbstractModule;
import com.google.inject.Provides;
import com.google.inject.Singleton;
import io.understudy.agent.api.HostStats;
import io.understudy.agent.config.AgentConfig;
import io.understudy.agent.libvirt.HostSampler;
import io.understudy.agent.libvirt.Hypervisor;
import io.understudy.agent.replica.Replica;
import io.understudy.agent.replica.ReplicaStore;
import io.understudy.agent.resources.HostStatsSource;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;

/** The hypervisor this node runs, and the host figures measured through it. */
public final class LibvirtModule extends AbstractModule {

    @Provides
    @Singleton
    Hypervisor hypervisor(AgentConfig config) throws IOException {
        return Hypervisor.connect(config.libvirtUri(), config.libvirtReconnectMaxDelay());
    }

    @Provides
    @Singleton
    HostSampler sampler(Hypervisor hypervisor, AgentConfig config, Clock clock) throws IOException {
        return new HostSampler(hypervisor, config.host(), config.instancesPath(), Path.of("/proc"), clock);
    }

    @Provides
    @Singleton
    HostStatsSource stats(HostSampler sampler, Hypervisor hypervisor, ReplicaStore replicas) {
        return new HostStatsSource() {
            @Override
            public HostStats sample() throws IOException {
                Map<UUID, Double> lags = new HashMap<>();
                for (Replica r : replicas.all()) {
                    r.lagSeconds().ifPresent(lag -> lags.put(r.state().vm(), lag));
                }
                return sampler.sample(lags);
            }

            @Override
            public boolean hypervisorReachable() {
                return hypervisor.reachable();
            }
        };
    }
}
