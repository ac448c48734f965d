package io.understudy.agent.server;

import com.google.inject.AbstractModule;
import com.google.inject.Provides;
import com.google.inject.Singleton;
import io.micrometer.core.instrument.MeterRegistry;
import io.understudy.agent.api.AgentClient;
import io.understudy.agent.api.HostStats;
import io.understudy.agent.api.Protection;
import io.understudy.agent.api.Tls;
import io.understudy.agent.config.AgentConfig;
import io.understudy.agent.libvirt.HostSampler;
import io.understudy.agent.libvirt.Hypervisor;
import io.understudy.agent.libvirt.LiveCapture;
import io.understudy.agent.rejoin.Preservation;
import io.understudy.agent.rejoin.Rejoiner;
import io.understudy.agent.replica.Replica;
import io.understudy.agent.replica.ReplicaStore;
import io.understudy.agent.replication.Protections;
import io.understudy.agent.replication.Replicator;
import io.understudy.agent.resources.HostStatsSource;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import javax.net.ssl.SSLContext;

/** Replication rounds on this node's primaries, and the clients it reaches its peers with. */
public final class ReplicationModule extends AbstractModule {

    @Provides
    @Singleton
    Replicator replicator(AgentConfig config, Hypervisor hypervisor, LiveCapture capture, ReplicaStore replicas,
            Protections protections, Clock clock, MeterRegistry metrics) throws IOException {
        Replicator replicator = new Replicator(config.host(), config.dataDir().resolve("primary"), config.instancesPath(),
                config.baseImagesPath(), config.snapshotsPath(), hypervisor, capture, replicas,
                clients(config), clock, metrics);
        for (Protection p : protections.all()) {
            replicator.assign(p.vm(), p);
        }
        return replicator;
    }

    /**
     * The host's figures for the controller: the sampler's, with each replica's lag and version and the
     * protections this node stopped (here, not beside the sampler: {@code preserve} wires libvirt
     * without the rounds).
     */
    @Provides
    @Singleton
    HostStatsSource stats(HostSampler sampler, Hypervisor hypervisor, ReplicaStore replicas, Replicator replicator) {
        return new HostStatsSource() {
            @Override
            public HostStats sample() throws IOException {
                Map<UUID, Double> lags = new HashMap<>();
                Map<UUID, Long> versions = new HashMap<>();
                for (Replica r : replicas.all()) {
                    r.lagSeconds().ifPresent(lag -> lags.put(r.state().vm(), lag));
                    versions.put(r.state().vm(), r.state().version());
                }
                return sampler.sample(lags, versions, replicator.stopped());
            }

            @Override
            public boolean hypervisorReachable() {
                return hypervisor.reachable();
            }
        };
    }

    /** Resumes, after a restart, the rejoins of the VMs this node is assigned as secondary of. */
    @Provides
    @Singleton
    Rejoiner rejoiner(AgentConfig config, Preservation preservation, ReplicaStore replicas, Protections protections,
            Replicator replicator, Clock clock) throws IOException {
        Rejoiner rejoiner = new Rejoiner(preservation, replicas, config.dataDir().resolve("rejoin"), clients(config),
                clock, replicator::awaitDropped);
        for (Protection p : protections.all()) {
            rejoiner.assign(p.vm(), p);
        }
        return rejoiner;
    }

    /**
     * Clients of the agents, one per URL, as this node's configuration authenticates: its peers,
     * and its own agent for {@code status}.
     */
    public static Function<URI, AgentClient> clients(AgentConfig config) throws IOException {
        String token = config.auth().mode() == AgentConfig.AuthMode.TOKEN
                ? Files.readString(config.auth().tokenFile().orElseThrow(), StandardCharsets.UTF_8).strip() : null;
        SSLContext ssl = null;
        if (config.auth().mode() == AgentConfig.AuthMode.MTLS) {
            AgentConfig.Tls t = config.auth().tls().orElseThrow();
            ssl = Tls.context(t.certificate(), t.key(), t.ca());
        }
        SSLContext tls = ssl;
        Map<URI, AgentClient> clients = new ConcurrentHashMap<>();
        Duration timeout = config.replication().peerTimeout();
        return url -> clients.computeIfAbsent(url, u -> new AgentClient(u, token, tls, timeout));
    }

}
