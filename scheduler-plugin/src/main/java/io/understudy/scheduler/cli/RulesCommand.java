package io.understudy.scheduler.cli;

import io.understudy.scheduler.rules.Rule;
import io.understudy.scheduler.rules.Rules;
import io.understudy.scheduler.rules.RulesParser;
import io.understudy.scheduler.rules.VmSelector;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code understudy rules check FILE}. */
@Command(name = "rules", description = "Work with a rules file.", subcommands = RulesCommand.Check.class)
final class RulesCommand {

    @Command(name = "check", description = "Validate a rules file: exit 0 and a summary, or exit 3 and FILE:LINE: KEY: reason.")
    static final class Check implements Callable<Integer> {

        @Parameters(paramLabel = "FILE", description = "the rules file")
        Path file;

        @Spec
        picocli.CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() {
            Rules rules = new RulesParser().parse(file);
            var out = spec.commandLine().getOut();
            var p = rules.policy();
            out.println(file + ": valid, " + rules.rules().size() + " rules");
            out.println("policy: replicas " + p.replicas() + ", replication every " + fmt(p.replicationInterval())
                    + ", max replica lag " + fmt(p.maxReplicaLag()) + ", cooldown " + fmt(p.cooldown())
                    + ", at most " + p.maxMovesAtOnce() + " moves at once, primary alive: "
                    + p.whenPrimaryAlive().key() + ", primary down: " + p.whenPrimaryDown().key());
            out.println("protects VMs with: " + rules.protect().stream().map(VmSelector::show)
                    .collect(Collectors.joining(" | ")));
            if (rules.protect().stream().anyMatch(VmSelector::tenantsOptIn)) {
                out.println("tenants opt in: server metadata is set by any member of the server's project");
            }
            Table t = new Table("LINE", "RULE", "RANGE", "FOR", "APPLIES TO");
            for (Rule r : rules.rules()) {
                t.row(r.line(), r.name(), r.parameter().key() + " " + r.range().show(),
                        r.forDuration().isZero() ? "-" : fmt(r.forDuration()), r.scope().show());
            }
            if (!t.isEmpty()) {
                t.print(out);
            }
            return Main.EXIT_OK;
        }

        private static String fmt(java.time.Duration d) {
            return io.understudy.scheduler.yaml.Durations.format(d);
        }
    }
}
