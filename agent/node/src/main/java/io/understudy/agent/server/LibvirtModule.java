package io.understudy.agent.server;

import com.google.inject.AbstractModule;
import com.google.inject.Provides;
import com.google.inject.Singleton;
import io.understudy.agent.config.AgentConfig;
import io.understudy.agent.libvirt.HostSampler;
import io.understudy.agent.libvirt.Hypervisor;
import io.understudy.agent.libvirt.LiveCapture;
import io.understudy.agent.replica.ReplicaStore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Clock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The hypervisor this node runs, live capture through it, and the host figures measured through it. */
public final class LibvirtModule extends AbstractModule {

    private static final Logger LOG = LoggerFactory.getLogger(LibvirtModule.class);

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
    Hypervisor hypervisor(AgentConfig config) throws IOException {
        return Hypervisor.connect(config.libvirtUri(), config.libvirtReconnectMaxDelay());
    }

    @Provides
    @Singleton
    HostSampler sampler(Hypervisor hypervisor, AgentConfig config, Clock clock) throws IOException {
        return new HostSampler(hypervisor, config.host(), config.instancesPath(), Path.of("/proc"), clock);
    }
}
