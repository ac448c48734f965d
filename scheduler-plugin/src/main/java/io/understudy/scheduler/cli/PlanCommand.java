package io.understudy.scheduler.cli;

import io.understudy.scheduler.decide.Decision;
import io.understudy.scheduler.decide.Outcome;
import io.understudy.scheduler.history.DecisionRecord;
import io.understudy.scheduler.history.JsonLinesHistory;
import io.understudy.scheduler.round.RoundResult;
import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code understudy plan}: this round's decisions, without acting or recording. */
@Command(name = "plan", description = "Run one evaluation round now and print its decisions; acts on nothing (dry run).")
final class PlanCommand implements Callable<Integer> {

    @Mixin
    RoundOptions round;

    @Option(names = "--all", description = "also list the VMs that stay")
    boolean all;

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        RoundResult r = round.run();
        PrintWriter out = spec.commandLine().getOut();
        if (round.json) {
            Map<String, Object> doc = new LinkedHashMap<>();
            doc.put("dryRun", true);
            doc.put("at", r.evaluation().orElseThrow().at());
            doc.put("rules", r.rulesSource());
            doc.put("notes", r.notes());
            doc.put("decisions", r.decisions().stream().filter(d -> all || d.outcome() != Outcome.STAY)
                    .map(DecisionRecord::of).toList());
            out.println(JsonLinesHistory.mapper().writerWithDefaultPrettyPrinter().writeValueAsString(doc));
            return Main.EXIT_OK;
        }
        out.println(Main.PLAN_ONLY);
        r.notes().forEach(n -> out.println("note: " + n));
        Map<Outcome, Integer> counts = new java.util.TreeMap<>();
        r.decisions().forEach(d -> counts.merge(d.outcome(), 1, Integer::sum));
        out.println(r.vms().size() + " protected VMs on " + r.evaluation().orElseThrow().hosts().size()
                + " hosts; " + counts);
        Table t = new Table("VM", "NAME", "PRIMARY", "DECISION", "TARGET", "WHY");
        for (Decision d : r.decisions()) {
            if (all || d.outcome() != Outcome.STAY) {
                t.row(d.vm(), d.vmName(), d.primary(), d.outcome() + d.action().map(a -> " (" + a.key() + ")").orElse(""),
                        d.target().orElse("-"), d.reasons().isEmpty() ? "-" : String.join("; ", d.reasons()));
            }
        }
        if (t.isEmpty()) {
            out.println("no protected VM needs to move");
        } else {
            t.print(out);
        }
        for (Decision d : r.decisions()) {
            for (var c : d.candidates()) {
                if (!c.eligible()) {
                    out.println("  " + d.vm() + ": " + c.host() + " rejected: " + String.join("; ", c.rejections()));
                }
            }
        }
        return Main.EXIT_OK;
    }
}
