package io.understudy.scheduler.cli;

import io.understudy.scheduler.api.StatusServer;
import io.understudy.scheduler.decide.Decision;
import io.understudy.scheduler.detect.HostReport;
import io.understudy.scheduler.detect.HostState;
import io.understudy.scheduler.evaluate.HostVerdict;
import io.understudy.scheduler.evaluate.RuleVerdict;
import io.understudy.scheduler.evaluate.Verdict;
import io.understudy.scheduler.history.JsonLinesHistory;
import io.understudy.scheduler.round.RoundResult;
import io.understudy.scheduler.stats.Parameter;
import io.understudy.scheduler.stats.ProtectedVm;
import io.understudy.scheduler.stats.Value;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Spec;

/**
 * {@code understudy status}: hosts with their values, verdicts and detection state (the serving
 * controller's, from its status API) and, for a host a failover forced down, whether it is away,
 * returning or back; protected VMs with their replicas.
 */
@Command(name = "status", description = "Read Nova and the agents now: hosts with values, verdicts and detection state, protected VMs with their replicas' lag.")
final class StatusCommand implements Callable<Integer> {

    /** The columns of the hosts table; every other value is in --json. */
    private static final List<Parameter> SHOWN = List.of(Parameter.SERVICE_UP, Parameter.AGENT_REACHABLE,
            Parameter.CPU_PERCENT, Parameter.MEMORY_FREE_MIB, Parameter.DISK_FREE_GIB, Parameter.NOVA_VCPUS_FREE,
            Parameter.NOVA_RAM_FREE_MIB, Parameter.RUNNING_VMS);

    @Mixin
    RoundOptions round;

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        RoundResult r = round.run();
        PrintWriter out = spec.commandLine().getOut();
        Map<UUID, Decision> decisions = new HashMap<>();
        r.decisions().forEach(d -> decisions.put(d.vm(), d));
        var hosts = r.evaluation().orElseThrow().hosts().values();
        if (round.json) {
            Map<String, Object> doc = new LinkedHashMap<>();
            doc.put("at", r.evaluation().get().at());
            doc.put("notes", r.notes());
            doc.put("detection", detectionJson(round.detection));
            List<Object> hs = new ArrayList<>();
            for (HostVerdict h : hosts) {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("host", h.host());
                m.put("state", state(h));
                m.put("detection", round.detection.host(h.host()).orElse(null));
                m.put("bringBack", round.forcedDown.get(h.host()).orElse(null));
                Map<String, Object> values = new LinkedHashMap<>();
                h.sample().values().forEach((p, v) -> values.put(p.key(), json(v)));
                m.put("values", values);
                m.put("verdicts", h.verdicts().stream().filter(v -> v.verdict() != Verdict.NOT_APPLICABLE)
                        .map(v -> Map.of("rule", v.rule().name(), "verdict", v.verdict().name(), "detail", v.show()))
                        .toList());
                m.put("problems", h.sample().problems());
                hs.add(m);
            }
            doc.put("hosts", hs);
            doc.put("vms", r.vms().stream().map(vm -> {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("id", vm.id());
                m.put("name", vm.name());
                m.put("primary", vm.primary());
                m.put("flavor", vm.flavor());
                m.put("replicas", vm.replicas());
                m.put("decision", decisions.get(vm.id()).outcome().name());
                return m;
            }).toList());
            out.println(JsonLinesHistory.mapper().writerWithDefaultPrettyPrinter().writeValueAsString(doc));
            return Main.EXIT_OK;
        }
        r.notes().forEach(n -> out.println("note: " + n));
        round.detection.problem().ifPresent(p -> out.println("note: failure detection " + p));
        List<String> header = new ArrayList<>(List.of("HOST", "STATE", "DETECTION"));
        SHOWN.forEach(p -> header.add(p.key()));
        header.add("VERDICTS");
        Table t = new Table(header.toArray(String[]::new));
        for (HostVerdict h : hosts) {
            Optional<HostReport> detected = round.detection.host(h.host());
            List<Object> row = new ArrayList<>(List.of(h.host(), state(h),
                    detected.map(d -> d.state().name()).orElse("?")));
            SHOWN.forEach(p -> row.add(h.sample().value(p).map(Value::show).orElse("?")));
            String verdicts = h.verdicts().stream().filter(v -> v.verdict() != Verdict.IN_RANGE
                            && v.verdict() != Verdict.NOT_APPLICABLE)
                    .map(v -> v.rule().name() + " " + v.verdict()).collect(Collectors.joining(", "));
            List<String> problems = new ArrayList<>(h.sample().problems());
            detected.filter(d -> d.state() != HostState.OK)
                    .ifPresent(d -> problems.add(0, d.state().name().toLowerCase(Locale.ROOT) + ": " + d.reason()));
            round.forcedDown.get(h.host()).ifPresent(f -> problems.add(f.state().name().toLowerCase(Locale.ROOT)
                    + " since " + f.updatedAt() + " (forced down by a failover at " + f.forcedAt() + "): " + f.note()));
            row.add((verdicts.isEmpty() ? "all in range" : verdicts) + (problems.isEmpty() ? "" : "; " + String.join("; ", problems)));
            t.row(row.toArray());
        }
        t.print(out);
        out.println();
        Table v = new Table("VM", "NAME", "PRIMARY", "SECONDARIES (LAG)", "DECISION");
        for (ProtectedVm vm : r.vms()) {
            String replicas = vm.replicas().isEmpty() ? "none" : vm.replicas().stream()
                    .map(rep -> rep.host() + " (" + Value.of(Math.round(rep.lagSeconds() * 10) / 10.0).show() + "s)")
                    .collect(Collectors.joining(", "));
            Decision d = decisions.get(vm.id());
            v.row(vm.id(), vm.name(), vm.primary(), replicas, d.outcome() + d.target().map(x -> " to " + x).orElse(""));
        }
        if (v.isEmpty()) {
            out.println("no protected VMs");
        } else {
            v.print(out);
        }
        return Main.EXIT_OK;
    }

    /** OK, PENDING, OUT (a breach that counts), FAILED, or UNKNOWN when a rule's value is missing. */
    static String state(HostVerdict h) {
        if (h.failed()) {
            return "FAILED";
        }
        boolean pending = false;
        boolean missing = false;
        for (RuleVerdict v : h.verdicts()) {
            switch (v.verdict()) {
                case OUT_OF_RANGE -> {
                    return "OUT";
                }
                case PENDING -> pending = true;
                case MISSING -> missing = true;
                default -> { }
            }
        }
        return pending ? "PENDING" : missing ? "UNKNOWN" : "OK";
    }

    /** Which controller's detection this is, or why it is not known. */
    private static Map<String, Object> detectionJson(ServingDetection d) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("instance", d.report().map(StatusServer.DetectionReport::instance).orElse(null));
        m.put("problem", d.problem().orElse(null));
        return m;
    }

    private static Object json(Value v) {
        if (v instanceof Value.Num n) {
            return n.value();
        }
        if (v instanceof Value.Bool b) {
            return b.value();
        }
        return ((Value.Text) v).value();
    }
}
