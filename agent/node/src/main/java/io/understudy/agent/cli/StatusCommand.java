package io.understudy.agent.cli;

import io.understudy.agent.api.AgentClient;
import io.understudy.agent.api.Health;
import io.understudy.agent.api.Json;
import io.understudy.agent.api.PrimaryStatus;
import io.understudy.agent.api.ReplicaInfo;
import io.understudy.agent.config.AgentConfig;
import io.understudy.agent.config.ConfigReader;
import io.understudy.agent.server.ReplicationModule;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.URI;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code understudy-agent status --config FILE}: this node's VMs and replicas, asked of its own
 * agent over its API with the node's own credentials (the token file, or its TLS key and
 * certificate), as the controller and its peers ask it.
 */
@Command(name = "status", description = "Show this node's agent: the VMs it is primary for and the replicas it holds, "
        + "read from the agent's API with this node's credentials.",
        exitCodeList = {"0:the agent answered", "1:an internal fault", "2:bad arguments",
            "3:the configuration, or its token or TLS files, refused", "4:the agent did not answer, or refused "
                + "the credentials"})
final class StatusCommand implements Callable<Integer> {

    private static final String VM_ROW = "%-36s  %-11s  %7s  %-27s  %s%n";
    private static final String REPLICA_ROW = "%-36s  %-12s  %7s  %9s  %6s  %s%n";

    @Spec
    CommandSpec spec;

    @Option(names = "--config", paramLabel = "FILE", defaultValue = "/etc/understudy/agent.yaml",
            description = "the agent's YAML configuration (default: ${DEFAULT-VALUE})")
    Path config;

    @Option(names = "--json", description = "one JSON object: health, vms, replicas")
    boolean json;

    @Override
    public Integer call() throws IOException {
        AgentConfig cfg = ConfigReader.read(config);
        URI url = ownUrl(cfg);
        AgentClient agent = ReplicationModule.clients(cfg).apply(url);
        PrintWriter out = spec.commandLine().getOut();
        Health health;
        List<PrimaryStatus> vms;
        List<ReplicaInfo> replicas;
        try {
            health = agent.health();
            vms = agent.primaries();
            replicas = agent.replicas();
        } catch (IOException e) {
            spec.commandLine().getErr().println("understudy-agent: the agent of " + cfg.host() + " at " + url
                    + ": " + Main.oneLine(e.getMessage()));
            return Main.EXIT_UNAVAILABLE;
        }
        if (json) {
            Map<String, Object> all = new LinkedHashMap<>();
            all.put("health", health);
            all.put("vms", vms);
            all.put("replicas", replicas);
            out.println(Json.mapper().writeValueAsString(all));
            return Main.EXIT_OK;
        }
        out.printf("agent %s at %s: up %d s, libvirt %s%n", health.host(), url, health.uptimeSeconds(),
                health.libvirtReachable() ? "reachable" : "NOT reachable (rounds and fencing fail until it is)");
        out.println();
        out.println("VMs this node is primary for:" + (vms.isEmpty() ? " none" : ""));
        if (!vms.isEmpty()) {
            out.printf(VM_ROW, "VM", "STATE", "VERSION", "LAST ROUND", "SECONDARIES (VERSION)");
            for (PrimaryStatus v : vms) {
                out.printf(VM_ROW, v.vm(), v.state(), v.version(), v.lastRound() == null ? "-"
                        : v.lastRound() + (v.lastError() == null ? "" : " failed"), secondaries(v));
            }
        }
        out.println();
        out.println("Replicas held:" + (replicas.isEmpty() ? " none" : ""));
        if (!replicas.isEmpty()) {
            out.printf(REPLICA_ROW, "VM", "PRIMARY", "VERSION", "LAG", "LAYERS", "SIZE");
            for (ReplicaInfo r : replicas) {
                out.printf(REPLICA_ROW, r.vm(), r.primary(), r.version(),
                        r.lagSeconds() < 0 ? "-" : String.format("%.1f s", r.lagSeconds()), r.chainLength(),
                        mib(r.bytes()));
            }
        }
        out.flush();
        return Main.EXIT_OK;
    }

    /** Where this node's own agent answers: its listen address, a wildcard being this machine. */
    static URI ownUrl(AgentConfig cfg) {
        String host = cfg.listen().getHostString();
        if (host.equals("0.0.0.0") || host.equals("::")) {
            host = "127.0.0.1";
        } else if (host.contains(":")) {
            host = "[" + host + "]";
        }
        String scheme = cfg.auth().mode() == AgentConfig.AuthMode.MTLS ? "https" : "http";
        return URI.create(scheme + "://" + host + ":" + cfg.listen().getPort() + "/");
    }

    /** "compute2 12, compute3 11 (needs a seed: ...)". */
    private static String secondaries(PrimaryStatus v) {
        if (v.secondaries().isEmpty()) {
            return PrimaryStatus.STOPPED.equals(v.state()) ? "stopped: " + v.reason() : "-";
        }
        return v.secondaries().stream().map(s -> s.host() + " " + s.version()
                + (s.needsSeed() ? " (needs a seed)" : "") + (s.lastError() == null ? "" : " (" + s.lastError() + ")"))
                .collect(Collectors.joining(", "));
    }

    private static String mib(long bytes) {
        return String.format("%.1f MiB", bytes / 1048576.0);
    }
}
