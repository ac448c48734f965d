package io.understudy.scheduler.cli;

import com.google.inject.Injector;
import io.understudy.nova.state.Server;
import io.understudy.scheduler.moves.ManualMoves;
import io.understudy.scheduler.round.ProtectionChoices;
import java.util.UUID;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code understudy protection protect|unprotect|forget VM}: an operator's choice of one VM's
 * protection, as the API's {@code POST /v1/vms/VM/protect} records it, in the records every
 * controller of this configuration reads.
 */
@Command(name = "protection", description = "An operator's choice that one VM is protected, or not, whatever the rules "
        + "file and its flavor say; placement acts on it from its next round (a VM no longer protected is let go "
        + "after placement.releaseDeletedAfter).",
        subcommands = {ProtectionCommand.Protect.class, ProtectionCommand.Unprotect.class,
                ProtectionCommand.Forget.class})
final class ProtectionCommand {

    /** What protect and unprotect share: the VM, the note, and the recording once Nova knows the VM. */
    abstract static class Choose implements Callable<Integer> {

        @Mixin
        ConfigOption config;

        @Parameters(index = "0", paramLabel = "VM", description = "the server's UUID")
        UUID vm;

        @Option(names = "--note", paramLabel = "TEXT", defaultValue = "",
                description = "why, for the record (e.g. \"decommissioned next week\")")
        String note;

        @Spec
        picocli.CommandLine.Model.CommandSpec spec;

        abstract boolean protect();

        @Override
        public Integer call() {
            Injector injector = ConfigOption.injector(config.load());
            Server server = injector.getInstance(ManualMoves.class).server(vm);
            ProtectionChoices.Choice c = injector.getInstance(ProtectionChoices.class).choose(vm, protect(),
                    System.getProperty("user.name", "unknown"), note);
            spec.commandLine().getOut().println(vm + " (" + server.name() + ") " + (c.protect() ? "protected"
                    : "unprotected") + " by " + c.by() + " at " + c.at() + ", whatever the rules say; placement acts "
                    + "on it from its next round");
            return Main.EXIT_OK;
        }
    }

    @Command(name = "protect", description = "Protect VM whatever its flavor and the rules file say. Exit 3 when "
            + "Nova knows no such server, nothing recorded.")
    static final class Protect extends Choose {
        @Override
        boolean protect() {
            return true;
        }
    }

    @Command(name = "unprotect", description = "Leave VM unprotected whatever its flavor and the rules file say; its "
            + "hosts let its replicas go after placement.releaseDeletedAfter. Exit 3 when Nova knows no such server.")
    static final class Unprotect extends Choose {
        @Override
        boolean protect() {
            return false;
        }
    }

    @Command(name = "forget", description = "Forget the operator's choice for VM: the rules decide again.")
    static final class Forget implements Callable<Integer> {

        @Mixin
        ConfigOption config;

        @Parameters(index = "0", paramLabel = "VM", description = "the server's UUID")
        UUID vm;

        @Spec
        picocli.CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() {
            ProtectionChoices choices = ConfigOption.injector(config.load()).getInstance(ProtectionChoices.class);
            spec.commandLine().getOut().println(choices.forget(vm) ? vm + ": the operator's choice forgotten; the "
                    + "rules decide whether it is protected" : "no operator's choice for " + vm + " ("
                    + choices.where(vm) + ")");
            return Main.EXIT_OK;
        }
    }
}
