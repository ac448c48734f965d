package io.understudy.agent.testing;

import io.understudy.agent.cli.Main;
import java.io.PrintWriter;
import java.io.StringWriter;

/** Runs the agent's command line in this JVM, as an operator would type it. */
public final class Cli {

    public record Result(int exit, String out, String err) {}

    private Cli() {}

    public static Result run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int exit = Main.run(args, new PrintWriter(out, true), new PrintWriter(err, true));
        return new Result(exit, out.toString(), err.toString());
    }
}
