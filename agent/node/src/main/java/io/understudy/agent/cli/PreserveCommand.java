package io.understudy.agent.cli;

import com.google.inject.Guice;
import com.google.inject.Injector;
import io.understudy.agent.config.AgentConfig;
import io.understudy.agent.config.ConfigReader;
import io.understudy.agent.libvirt.LiveCapture;
import io.understudy.agent.rejoin.Preservation;
import io.understudy.agent.server.ConfigModule;
import io.understudy.agent.server.LibvirtModule;
import io.understudy.agent.server.StoreModule;
import java.nio.file.Path;
import java.time.Clock;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code understudy-agent preserve --config FILE}: what {@code serve} does first — hard-link the
 * disks of the VMs this node is primary for into the data directory, and remove the checkpoint
 * metadata a round cut short by a crash left in libvirt (Nova could not undefine those domains) —
 * and nothing else. For a
 * unit's {@code ExecStartPre}: it has finished before the unit counts as started, so a unit
 * ordered before nova-compute holds nova-compute back until the disks are safe.
 */
@Command(name = "preserve", description = "Keep the disks of the VMs this node is primary for, then exit.")
final class PreserveCommand implements Callable<Integer> {

    @Option(names = "--config", paramLabel = "FILE", required = true, description = "the agent's YAML configuration")
    Path config;

    @Override
    public Integer call() throws Exception {
        AgentConfig cfg = ConfigReader.read(config);
        Injector injector = Guice.createInjector(new ConfigModule(cfg, Clock.systemUTC()), new StoreModule(),
                new LibvirtModule());
        ServeCommand.instance(injector, Preservation.class);
        ServeCommand.instance(injector, LiveCapture.class);
        return Main.EXIT_OK;
    }
}
