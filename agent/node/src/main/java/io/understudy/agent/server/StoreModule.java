package io.understudy.agent.server;

import com.google.inject.AbstractModule;
import com.google.inject.Provides;
import com.google.inject.Singleton;
import io.understudy.agent.api.Protection;
import io.understudy.agent.api.Role;
import io.understudy.agent.config.AgentConfig;
import io.understudy.agent.rejoin.Preservation;
import io.understudy.agent.replica.ReplicaStore;
import io.understudy.agent.replication.Protections;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;

/** What the agent keeps on disk, all under its data directory. */
public final class StoreModule extends AbstractModule {

    /**
     * Only the agent writes in its data directory; others may pass through it (0711), since QEMU
     * opens the backup's scratch file in it by name.
     */
    @Provides
    @Singleton
    ReplicaStore replicas(AgentConfig config, Clock clock) throws IOException {
        Path data = Files.createDirectories(config.dataDir());
        Files.setPosixFilePermissions(data, PosixFilePermissions.fromString("rwx--x--x"));
        return new ReplicaStore(data.resolve("replicas"), clock);
    }

    @Provides
    @Singleton
    Protections protections(AgentConfig config) throws IOException {
        return new Protections(config.dataDir().resolve("protection"));
    }

    /**
     * Links the disks of the VMs this node is primary for at start-up, before nova-compute starts
     * (the unit's ordering) and deletes the disks of instances evacuated away meanwhile.
     */
    @Provides
    @Singleton
    Preservation preservation(AgentConfig config, Protections protections, Clock clock) throws IOException {
        Preservation preservation = new Preservation(config.dataDir().resolve("preserved"), config.instancesPath(),
                clock);
        for (Protection p : protections.all()) {
            if (p.role() == Role.PRIMARY) {
                preservation.preserve(p.vm());
            }
        }
        return preservation;
    }
}
