package io.understudy.scheduler.cli;

import java.util.UUID;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code understudy migrate VM --to HOST}: the controller's live migration, by hand. */
@Command(name = "migrate", description = "Live-migrate a protected VM to HOST as the controller would: Nova live "
        + "migration after a final sync (the old primary's rounds held until it ends), roles flipped on the agents. Exit 0 done, 5 refused, 6 failed or unresolved.")
final class MigrateCommand implements Callable<Integer> {

    @Mixin
    ConfigOption config;

    @Parameters(index = "0", paramLabel = "VM", description = "the server's UUID")
    UUID vm;

    @Option(names = "--to", paramLabel = "HOST", required = true, description = "the compute host to move it to")
    String to;

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        return MoveReport.run(ConfigOption.injector(config.load()), (moves, interval) -> moves.migrate(vm, to, interval),
                spec);
    }
}
