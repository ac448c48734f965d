package io.understudy.agent.server;

import com.google.inject.AbstractModule;
import com.google.inject.Provides;
import com.google.inject.Singleton;
import io.micrometer.core.instrument.MeterRegistry;
import io.understudy.agent.api.AgentClient;
import io.understudy.agent.api.Protection;
import io.understudy.agent.api.Tls;
import io.understudy.agent.config.AgentConfig;
import io.understudy.agent.libvirt.Hypervisor;
import io.understudy.agent.libvirt.LiveCapture;
import io.understudy.agent.rejoin.Preservation;
import io.understudy.agent.rejoin.Rejoiner;
import io.understudy.agent.replica.ReplicaStore;
import io.understudy.agent.replication.Protections;
import io.understudy.agent.replication.Replicator;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import javax.net.ssl.SSLContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Replication rounds on this node's primaries, and the clients it reaches its peers with. */
public final class ReplicationModule extends AbstractModule {

    private static final Logger LOG = LoggerFactory.getLogger(ReplicationModule.class);

    /** The longest wait on the backup's NBD export at any point of a round. */
    private static final Duration NBD_TIMEOUT = Duration.ofSeconds(30);

    @Provides
    @Singleton
    LiveCapture capture(Hypervisor hypervisor, AgentConfig config) throws IOException {
        // QEMU (its own user under qemu:///system) writes the backup's scratch data here, in a file
        // libvirtd (root) creates and hands to it: QEMU only has to reach it by name, no one else
        // may create, rename or delete files in it.
        Path scratch = Files.createDirectories(config.dataDir().resolve("scratch"));
        Files.setPosixFilePermissions(scratch, PosixFilePermissions.fromString("rwx--x--x"));
        LiveCapture capture = new LiveCapture(hypervisor, scratch.toAbsolutePath(), NBD_TIMEOUT);
        // A host that died mid-round kept that round's checkpoint metadata, and libvirt reloads it:
        // it goes before nova-compute starts (the unit's preserve step), or Nova cannot undefine
        // those domains. Rounds clear it too, so a libvirt not up yet only delays this.
        try {
            for (String parked : capture.parkAll()) {
                LOG.info("removed the metadata of checkpoint {}, left by a round that did not end; its bitmaps stay",
                        parked);
            }
        } catch (IOException e) {
            LOG.warn("could not clear checkpoint metadata left by unended rounds on {}: {}", hypervisor.uri(),
                    e.getMessage());
        }
        return capture;
    }

    @Provides
    @Singleton
    Replicator replicator(AgentConfig config, Hypervisor hypervisor, LiveCapture capture, ReplicaStore replicas,
            Protections protections, Clock clock, MeterRegistry metrics) throws IOException {
        Replicator replicator = new Replicator(config.dataDir().resolve("primary"), config.instancesPath(),
                config.baseImagesPath(), hypervisor, capture, replicas,
                clients(config), clock, metrics);
        for (Protection p : protections.all()) {
            replicator.assign(p.vm(), p);
        }
        return replicator;
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

    /** Clients of the other agents, one per URL, as this node's configuration authenticates. */
    private static Function<URI, AgentClient> clients(AgentConfig config) throws IOException {
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
