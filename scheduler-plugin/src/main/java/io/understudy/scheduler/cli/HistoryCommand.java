package io.understudy.scheduler.cli;

import io.understudy.scheduler.config.ControllerConfig;
import io.understudy.scheduler.history.DecisionRecord;
import io.understudy.scheduler.history.JsonLinesHistory;
import io.understudy.scheduler.history.RoundRecord;
import java.io.PrintWriter;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code understudy history}: past rounds and their decisions, from the history file. */
@Command(name = "history", description = "Past rounds and their decisions with reasons (reads the history file only).")
final class HistoryCommand implements Callable<Integer> {

    @Mixin
    ConfigOption config;

    @Option(names = "--rounds", paramLabel = "N", defaultValue = "20", description = "the last N rounds (default ${DEFAULT-VALUE})")
    int rounds;

    @Option(names = "--json", description = "one JSON line per round instead of a table")
    boolean json;

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        if (rounds < 1) {
            throw new IllegalArgumentException("--rounds " + rounds + ": must be at least 1");
        }
        ControllerConfig c = config.load();
        JsonLinesHistory history = new JsonLinesHistory(c.history());
        List<RoundRecord> last = history.last(rounds);
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            var writer = JsonLinesHistory.mapper().writer();
            for (RoundRecord r : last) {
                out.println(writer.writeValueAsString(r));
            }
            return Main.EXIT_OK;
        }
        if (last.isEmpty()) {
            out.println("no rounds recorded in " + history.file());
            return Main.EXIT_OK;
        }
        Table rounds = new Table("STARTED", "CONTROLLER", "RESULT", "HOSTS", "VMS", "OUTCOMES");
        for (RoundRecord r : last) {
            rounds.row(r.startedAt(), r.controller(), r.ok() ? "ok" : "FAILED: " + r.failure().orElse("?"), r.hosts(),
                    r.protectedVms(), r.outcomes().isEmpty() ? "-" : r.outcomes());
        }
        rounds.print(out);
        Table decisions = new Table("STARTED", "VM", "NAME", "PRIMARY", "DECISION", "TARGET", "WHY");
        for (RoundRecord r : last) {
            for (DecisionRecord d : r.decisions()) {
                decisions.row(r.startedAt(), d.vm(), d.name(), d.primary(),
                        d.outcome() + d.action().map(a -> " (" + a + ")").orElse(""), d.target().orElse("-"),
                        String.join("; ", d.reasons()));
            }
        }
        if (!decisions.isEmpty()) {
            out.println();
            decisions.print(out);
        }
        Table executions = new Table("STARTED", "MOVES AND HOSTS BROUGHT BACK");
        for (RoundRecord r : last) {
            r.executions().forEach(e -> executions.row(r.startedAt(), e));
        }
        if (!executions.isEmpty()) {
            out.println();
            executions.print(out);
        }
        return Main.EXIT_OK;
    }
}
