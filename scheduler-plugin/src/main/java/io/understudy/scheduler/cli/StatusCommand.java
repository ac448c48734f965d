package io.understudy.scheduler.cli;

import io.understudy.scheduler.api.StatusClient;
import io.understudy.scheduler.api.StatusServer;
import io.understudy.scheduler.config.ControllerConfig;
import io.understudy.scheduler.evaluate.Verdict;
import io.understudy.scheduler.history.JsonLinesHistory;
import io.understudy.scheduler.report.StatusReport;
import io.understudy.scheduler.round.LastRound;
import io.understudy.scheduler.round.RoundResult;
import io.understudy.scheduler.stats.Parameter;
import io.understudy.scheduler.stats.Value;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code understudy status}: what the serving controller saw in its last round, from its API —
 * hosts with their values, verdicts and detection state and, for a host a failover forced down,
 * whether it is away, returning or back; protected VMs with their replicas and last decision. With
 * {@code --local}, or when no controller answers, a round of its own now.
 */
@Command(name = "status", description = "What the serving controller saw in its last round: hosts with values, "
        + "verdicts and detection state, protected VMs with their replicas' lag and the last decision. --local, or "
        + "no controller answering: read Nova and the agents now.")
final class StatusCommand implements Callable<Integer> {

    /** The columns of the hosts table; every other value is in --json. */
    private static final List<Parameter> SHOWN = List.of(Parameter.SERVICE_UP, Parameter.AGENT_REACHABLE,
            Parameter.CPU_PERCENT, Parameter.MEMORY_FREE_MIB, Parameter.DISK_FREE_GIB, Parameter.NOVA_VCPUS_FREE,
            Parameter.NOVA_RAM_FREE_MIB, Parameter.RUNNING_VMS);

    @Mixin
    RoundOptions round;

    @Option(names = "--local", description = "Run a round of its own now (Nova and the agents read, nothing "
            + "recorded) instead of asking the serving controller")
    boolean local;

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        StatusReport report = local ? ownRound(List.of()) : served();
        if (round.json) {
            out.println(JsonLinesHistory.mapper().writerWithDefaultPrettyPrinter().writeValueAsString(report));
            return Main.EXIT_OK;
        }
        print(report, out);
        return Main.EXIT_OK;
    }

    /** The serving controller's report, or a round of this command's own when it has none to give. */
    private StatusReport served() {
        ControllerConfig c = round.config.load();
        if (c.api().listen().isEmpty()) {
            return ownRound(List.of("no controller API configured (listen): a round of this command's own"));
        }
        try {
            return StatusClient.status(c.api().listen().get(), StatusServer.clusterToken(c.agents()),
                    ServingDetection.TIMEOUT);
        } catch (IOException | IllegalArgumentException e) {
            return ownRound(List.of("the serving controller's status could not be read (" + e.getMessage()
                    + "): a round of this command's own"));
        }
    }

    private StatusReport ownRound(List<String> notes) {
        RoundResult r = round.run();
        StatusReport report = StatusReport.of(new LastRound.Seen(r, List.of()), "local",
                new StatusReport.DetectionSource(round.detection.report().map(StatusServer.DetectionReport::instance),
                        round.detection.problem()), round.detection::host, round.forcedDown::get);
        List<String> all = new ArrayList<>(notes);
        all.addAll(report.notes());
        return new StatusReport(report.at(), report.instance(), all, report.detection(), report.hosts(), report.vms());
    }

    private static void print(StatusReport report, PrintWriter out) {
        out.println("as seen by " + (report.instance().equals("local") ? "this command's own round"
                : "controller " + report.instance()) + " at " + report.at());
        report.notes().forEach(n -> out.println("note: " + n));
        report.detection().problem().ifPresent(p -> out.println("note: failure detection " + p));
        List<String> header = new ArrayList<>(List.of("HOST", "STATE", "DETECTION"));
        SHOWN.forEach(p -> header.add(p.key()));
        header.add("VERDICTS");
        Table t = new Table(header.toArray(String[]::new));
        for (StatusReport.HostStatus h : report.hosts()) {
            List<Object> row = new ArrayList<>(List.of(h.host(), h.state(),
                    h.detection().map(d -> d.state().name()).orElse("?")));
            SHOWN.forEach(p -> row.add(show(h.values().get(p.key()))));
            String verdicts = h.verdicts().stream().filter(v -> !v.verdict().equals(Verdict.IN_RANGE.name()))
                    .map(v -> v.rule() + " " + v.verdict()).collect(Collectors.joining(", "));
            row.add((verdicts.isEmpty() ? "all in range" : verdicts)
                    + (h.problems().isEmpty() ? "" : "; " + String.join("; ", h.problems())));
            t.row(row.toArray());
        }
        t.print(out);
        out.println();
        Table v = new Table("VM", "NAME", "PRIMARY", "SECONDARIES (LAG, VERSION)", "DECISION");
        for (StatusReport.VmStatus vm : report.vms()) {
            String replicas = vm.replicas().isEmpty() ? "none" : vm.replicas().stream()
                    .map(rep -> rep.host() + " (" + Value.of(Math.round(rep.lagSeconds() * 10) / 10.0).show() + "s"
                            + (rep.version() < 0 ? "" : ", v" + rep.version()) + ")")
                    .collect(Collectors.joining(", "));
            v.row(vm.id(), vm.name(), vm.primary(), replicas, vm.decision() + vm.target().map(x -> " to " + x).orElse(""));
        }
        if (v.isEmpty()) {
            out.println("no protected VMs");
        } else {
            v.print(out);
        }
    }

    /** A value as the tables show it; {@code ?} when the round had none. */
    private static String show(Object value) {
        if (value instanceof Number n) {
            return Value.of(n.doubleValue()).show();
        }
        if (value instanceof Boolean b) {
            return Value.of(b).show();
        }
        return value == null ? "?" : Value.of(value.toString()).show();
    }
}
