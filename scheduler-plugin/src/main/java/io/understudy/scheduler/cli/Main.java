package io.understudy.scheduler.cli;

import com.google.inject.CreationException;
import com.google.inject.ProvisionException;
import io.understudy.nova.client.NovaException;
import io.understudy.nova.keystone.KeystoneException;
import io.understudy.scheduler.moves.MoveRefusedException;
import io.understudy.scheduler.yaml.YamlException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import org.slf4j.bridge.SLF4JBridgeHandler;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.ScopeType;

/**
 * Entry point of {@code understudy}, the controller's command line. Every subcommand inherits
 * {@code --help}, {@code --version} and the list of exit codes, unless it lists its own.
 */
@Command(name = "understudy", mixinStandardHelpOptions = true, version = "understudy 0.1.0",
        description = "Understudy's controller: operating parameters, business rules, decisions.",
        scope = ScopeType.INHERIT, exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:done", "1:an internal fault (the message says which)", "2:bad arguments",
            "3:a bad rules file or configuration (the message names the file, line and key)",
            "4:Nova or Keystone could not be read", "5:a move or action refused before anything was changed",
            "6:a move failed midway, needs an operator, or is unresolved in Nova (the journal follows it)"},
        subcommands = {ServeCommand.class, RulesCommand.class, PlanCommand.class, StatusCommand.class,
                HistoryCommand.class, MigrateCommand.class, FailoverCommand.class,
                FenceCommand.class, BringBackCommand.class, MovesCommand.class, ProtectionCommand.class,
                io.understudy.scheduler.bench.BenchCommand.class})
public final class Main {

    public static final int EXIT_OK = 0;
    public static final int EXIT_INTERNAL = 1;
    public static final int EXIT_USAGE = 2;
    /** A rules file or configuration that is wrong. */
    public static final int EXIT_BAD_INPUT = 3;
    /** Nova or Keystone could not be read: the command could not judge anything. */
    public static final int EXIT_UNAVAILABLE = 4;
    /** A move was refused before anything irreversible: a safety check, Nova or an agent said no. */
    public static final int EXIT_REFUSED = 5;
    /** A move failed midway, needs an operator, or is still unresolved in Nova (the journal follows it). */
    public static final int EXIT_MOVE_FAILED = 6;

    /** What plan prints: it decides like a round, and acts on nothing. */
    public static final String PLAN_ONLY = "A plan: this command moves nothing; the controller acts on these "
            + "decisions unless it runs with dryRun: true.";

    public static void main(String[] args) {
        // The status API's Jersey and Grizzly log through java.util.logging: route it to our one log format.
        SLF4JBridgeHandler.removeHandlersForRootLogger();
        SLF4JBridgeHandler.install();
        System.exit(run(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true)));
    }

    /** Runs one command line; never throws. */
    public static int run(String[] args, PrintWriter out, PrintWriter err) {
        CommandLine cmd = new CommandLine(new Main());
        cmd.setOut(out);
        cmd.setErr(err);
        cmd.setParameterExceptionHandler((e, a) -> {
            err.println("understudy: " + oneLine(e.getMessage()) + " (see --help)");
            return EXIT_USAGE;
        });
        cmd.setExecutionExceptionHandler((e, parsed, result) -> {
            Throwable cause = unwrap(e);
            err.println("understudy: " + describe(cause));
            return exitCode(cause);
        });
        return cmd.execute(args);
    }

    static Throwable unwrap(Throwable e) {
        Throwable t = e;
        for (int i = 0; i < 10; i++) {
            if (t instanceof CreationException c && !c.getErrorMessages().isEmpty()
                    && c.getErrorMessages().iterator().next().getCause() != null) {
                t = c.getErrorMessages().iterator().next().getCause();
            } else if (t instanceof ProvisionException p && !p.getErrorMessages().isEmpty()
                    && p.getErrorMessages().iterator().next().getCause() != null) {
                t = p.getErrorMessages().iterator().next().getCause();
            } else if (t instanceof UncheckedIOException u) {
                t = u.getCause();
            } else {
                return t;
            }
        }
        return t;
    }

    static int exitCode(Throwable e) {
        if (e instanceof YamlException || e instanceof IllegalArgumentException) {
            return EXIT_BAD_INPUT;
        }
        if (e instanceof MoveRefusedException) {
            return EXIT_REFUSED;
        }
        if (e instanceof KeystoneException || e instanceof io.understudy.scheduler.stats.NovaReadException
                || e instanceof NovaException) {
            return EXIT_UNAVAILABLE;
        }
        return EXIT_INTERNAL;
    }

    static String describe(Throwable e) {
        if (e instanceof YamlException || e instanceof IllegalArgumentException || e instanceof KeystoneException
                || e instanceof io.understudy.scheduler.stats.NovaReadException || e instanceof MoveRefusedException
                || e instanceof NovaException) {
            return oneLine(e.getMessage());
        }
        return "internal error: " + oneLine(e.toString());
    }

    static String oneLine(String s) {
        return s == null ? "" : s.replaceAll("\\s*\\R\\s*", " ").strip();
    }
}
