package io.understudy.scheduler.cli;

import io.understudy.scheduler.config.ControllerConfig;
import io.understudy.scheduler.moves.FenceConfirmations;
import io.understudy.scheduler.moves.ManualFences;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code understudy fence confirm|withdraw HOST}: an operator's word that a host is fenced, or its withdrawal. */
@Command(name = "fence", description = "An operator's confirmation that a host is fenced (powered off by hand), "
        + "the proof the next failovers from it use when its fencer cannot give one.",
        subcommands = {FenceCommand.Confirm.class, FenceCommand.Withdraw.class})
final class FenceCommand {

    @Command(name = "confirm", description = "Record that HOST is powered off: failovers of its VMs evacuate on this "
            + "word for moves.fencing.confirmedFor, or until its agent answers again. Refused (exit 5) while its agent "
            + "answers.")
    static final class Confirm implements Callable<Integer> {

        @Mixin
        ConfigOption config;

        @Parameters(index = "0", paramLabel = "HOST", description = "the compute host, as Nova names it")
        String host;

        @Option(names = "--note", paramLabel = "TEXT", defaultValue = "",
                description = "what was done, for the record (e.g. \"pulled both power cords\")")
        String note;

        @Spec
        picocli.CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() {
            var injector = ConfigOption.injector(config.load());
            FenceConfirmations.Confirmation c = injector.getInstance(ManualFences.class)
                    .confirm(host, System.getProperty("user.name", "unknown"), note);
            FenceConfirmations confirmations = injector.getInstance(FenceConfirmations.class);
            spec.commandLine().getOut().println(host + " fenced by hand, confirmed by " + c.by() + " at " + c.at()
                    + "; the proof of failovers from it until " + c.at().plus(confirmations.validFor())
                    + " or until its agent answers again");
            return Main.EXIT_OK;
        }
    }

    @Command(name = "withdraw", description = "Forget an operator's confirmation that HOST is fenced.")
    static final class Withdraw implements Callable<Integer> {

        @Mixin
        ConfigOption config;

        @Parameters(index = "0", paramLabel = "HOST", description = "the compute host, as Nova names it")
        String host;

        @Spec
        picocli.CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() {
            ControllerConfig c = config.load();
            FenceConfirmations confirmations = ConfigOption.injector(c).getInstance(FenceConfirmations.class);
            boolean had = confirmations.withdraw(host);
            spec.commandLine().getOut().println(had ? host + "'s fence confirmation withdrawn"
                    : "no fence confirmation of " + host + " (" + confirmations.where(host) + ")");
            return Main.EXIT_OK;
        }
    }
}
