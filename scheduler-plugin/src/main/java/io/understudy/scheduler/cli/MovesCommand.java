package io.understudy.scheduler.cli;

import io.understudy.scheduler.moves.Journal;
import io.understudy.scheduler.moves.MoveState;
import java.io.PrintWriter;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code understudy moves [close VM]}: the open moves in the journal every controller shares, and
 * an operator's closing of one they have looked at.
 */
@Command(name = "moves", description = "The moves open in the journal (in flight, or held for an operator).",
        subcommands = MovesCommand.Close.class)
final class MovesCommand implements Callable<Integer> {

    @Mixin
    ConfigOption config;

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        Table t = new Table("VM", "MOVE", "STATUS", "SINCE", "WHY HELD");
        for (MoveState m : ConfigOption.injector(config.load()).getInstance(Journal.class).open()) {
            t.row(m.plan().vm(), m.plan().describe(), m.status(), m.startedAt(), m.holdReason());
        }
        if (t.isEmpty()) {
            out.println("no open moves");
        } else {
            t.print(out);
        }
        return Main.EXIT_OK;
    }

    @Command(name = "close", description = "Forget VM's open move, kept as history, once an operator has put the VM "
            + "right: the next rounds decide on it again. A move in flight is refused (exit 5) unless --in-flight.")
    static final class Close implements Callable<Integer> {

        @Mixin
        ConfigOption config;

        @Parameters(index = "0", paramLabel = "VM", description = "the server's UUID")
        UUID vm;

        @Option(names = "--in-flight", description = "close it even though the controller is following it "
                + "(a move journaled by an older version)")
        boolean inFlight;

        @Spec
        picocli.CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() {
            Journal journal = ConfigOption.injector(config.load()).getInstance(Journal.class);
            Optional<MoveState> open = journal.open(vm);
            if (open.isEmpty()) {
                spec.commandLine().getErr().println("vm " + vm + ": no open move");
                return Main.EXIT_REFUSED;
            }
            if (open.get().status() == MoveState.Status.IN_FLIGHT && !inFlight) {
                spec.commandLine().getErr().println("vm " + vm + ": " + open.get().holdReason()
                        + "; the controller follows it (--in-flight to close it anyway)");
                return Main.EXIT_REFUSED;
            }
            journal.close(vm);
            spec.commandLine().getOut().println("vm " + vm + ": closed " + open.get().plan().describe()
                    + " (" + open.get().status() + "); the next rounds decide on it again");
            return Main.EXIT_OK;
        }
    }
}
