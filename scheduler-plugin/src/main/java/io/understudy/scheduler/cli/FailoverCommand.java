package io.understudy.scheduler.cli;

import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code understudy failover VM [--to HOST]}: the controller's failover, by hand. */
@Command(name = "failover", description = "Boot a protected VM's replica elsewhere as the controller would: fence "
        + "its host (moves.fencing, or an operator's 'fence confirm'; refused without a proof), force it down in Nova, "
        + "stage the replica, evacuate, roles flipped. Exit 0 done, 5 refused, 6 failed or unresolved.")
final class FailoverCommand implements Callable<Integer> {

    @Mixin
    ConfigOption config;

    @Parameters(index = "0", paramLabel = "VM", description = "the server's UUID")
    UUID vm;

    @Option(names = "--to", paramLabel = "HOST",
            description = "the replica holder to boot it on (default: the freshest replica whose nova-compute is up)")
    String to;

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        return MoveReport.run(ConfigOption.injector(config.load()),
                (moves, interval) -> moves.failover(vm, Optional.ofNullable(to), interval), spec);
    }
}
