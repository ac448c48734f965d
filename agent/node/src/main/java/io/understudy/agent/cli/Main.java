package io.understudy.agent.cli;

import io.understudy.agent.config.ConfigException;
import io.understudy.agent.delta.BadDeltaException;
import io.understudy.agent.qcow2.BadImageException;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.NoSuchFileException;
import org.slf4j.bridge.SLF4JBridgeHandler;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.ScopeType;

/**
 * Entry point of {@code understudy-agent}. Every subcommand inherits {@code --help}, {@code --version}
 * and the list of exit codes, unless it lists its own.
 */
@Command(name = "understudy-agent", mixinStandardHelpOptions = true, version = "understudy-agent 0.1.0",
        description = "Understudy's per-node agent.", scope = ScopeType.INHERIT,
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:done", "1:an internal fault (the message says which)", "2:bad arguments",
            "3:bad input: a configuration, image, delta or file refused (the message names it)"},
        subcommands = {ImageCommand.class, io.understudy.agent.bench.BenchCommand.class, ServeCommand.class,
            PreserveCommand.class, StatusCommand.class})
public final class Main {

    public static final int EXIT_OK = 0;
    public static final int EXIT_INTERNAL = 1;
    public static final int EXIT_USAGE = 2;
    public static final int EXIT_BAD_INPUT = 3;
    /** {@code status}: the node's own agent did not answer, or refused its credentials. */
    public static final int EXIT_UNAVAILABLE = 4;

    public static void main(String[] args) {
        // Jersey and Grizzly log through java.util.logging: route it to our one log format.
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
            err.println("understudy-agent: " + oneLine(e.getMessage()) + " (see --help)");
            return EXIT_USAGE;
        });
        cmd.setExecutionExceptionHandler((e, parsed, result) -> {
            Throwable cause = e instanceof UncheckedIOException u ? u.getCause() : e;
            err.println("understudy-agent: " + describe(cause));
            return exitCode(cause);
        });
        try {
            return cmd.execute(args);
        } catch (OutOfMemoryError e) {
            err.println("understudy-agent: out of memory");
            return EXIT_INTERNAL;
        }
    }

    static int exitCode(Throwable e) {
        if (e instanceof BadImageException || e instanceof BadDeltaException || e instanceof ConfigException
                || e instanceof IOException) {
            return EXIT_BAD_INPUT;
        }
        return EXIT_INTERNAL;
    }

    static String describe(Throwable e) {
        if (e instanceof NoSuchFileException n) {
            return n.getFile() + ": no such file";
        }
        if (e instanceof FileAlreadyExistsException f) {
            return f.getFile() + ": " + (f.getReason() != null ? f.getReason() : "already exists");
        }
        if (e instanceof java.nio.file.AccessDeniedException a) {
            return a.getFile() + ": permission denied";
        }
        if (e instanceof BadImageException || e instanceof BadDeltaException || e instanceof ConfigException) {
            return oneLine(e.getMessage());
        }
        if (e instanceof IOException) {
            return oneLine(String.valueOf(e.getMessage()));
        }
        return "internal error: " + oneLine(e.toString());
    }

    /**
     * One line, printable: messages quote names read from hostile files (a backing file name may
     * hold newlines or terminal escapes), so every other control character becomes '?'.
     */
    static String oneLine(String s) {
        return s == null ? "" : s.replaceAll("\\s*\\R\\s*", " ").replaceAll("\\p{Cntrl}", "?").strip();
    }
}
