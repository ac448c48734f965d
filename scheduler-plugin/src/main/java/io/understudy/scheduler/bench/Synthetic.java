package io.understudy.scheduler.bench;

import io.understudy.agent.api.HostStats;
import io.understudy.nova.state.ComputeService;
import io.understudy.scheduler.rules.Rules;
import io.understudy.scheduler.rules.RulesParser;
import io.understudy.scheduler.rules.VmSelector;
import io.understudy.scheduler.stats.AgentReading;
import io.understudy.scheduler.stats.Hypervisor;
import io.understudy.scheduler.stats.NovaSnapshot;
import io.understudy.scheduler.stats.ServerInfo;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.UUID;

/**
 * A cloud made up, deterministically (fixed seed): hosts with Nova and agent values, about 1 %
 * of them over a limit, protected VMs spread over them with their replicas on other hosts.
 */
record Synthetic(NovaSnapshot nova, Map<String, AgentReading> agents, Rules rules) {

    /** Twelve rules, one per parameter, as an operator might write them. */
    static final String RULES = """
            policy:
              replicas: 2
              maxReplicaLag: 5m
              cooldown: 15m
              maxMovesAtOnce: 50
            rules:
              - {parameter: service_up, equals: true}
              - {parameter: service_enabled, equals: true}
              - {parameter: forced_down, equals: false}
              - {parameter: agent_reachable, equals: true, for: 30s}
              - {parameter: hypervisor_state, oneOf: [up]}
              - {parameter: cpu_percent, max: 90, for: 2m}
              - {parameter: memory_free_mib, min: 1024, for: 1m}
              - {parameter: disk_free_gib, min: 50}
              - {parameter: load1, max: 64, for: 2m}
              - {parameter: nova_vcpus_free, min: 1}
              - {parameter: nova_ram_free_mib, min: 2048}
              - {parameter: replica_lag_max_seconds, max: 600, for: 5m}
            """;

    static Synthetic make(int hosts, int vms, int replicas, Instant now, long seed) {
        Random random = new Random(seed);
        List<ComputeService> services = new ArrayList<>(hosts);
        List<Hypervisor> hypervisors = new ArrayList<>(hosts);
        String[] names = new String[hosts];
        for (int i = 0; i < hosts; i++) {
            names[i] = String.format("compute%05d", i);
            boolean up = random.nextInt(1000) != 0;
            services.add(new ComputeService(new UUID(seed, i), names[i], true, Optional.empty(), up, false,
                    Optional.of(now)));
            hypervisors.add(new Hypervisor(names[i], up ? "up" : "down", 64, random.nextInt(64), 262_144,
                    random.nextInt(200_000), 2000, random.nextInt(1500), random.nextInt(40)));
        }
        List<ServerInfo> servers = new ArrayList<>(vms);
        Map<String, Map<UUID, Double>> lags = new HashMap<>();
        Map<String, Map<UUID, Long>> versions = new HashMap<>();
        Map<String, String> protect = Map.of(VmSelector.PROTECT_KEY, "true");
        for (int v = 0; v < vms; v++) {
            UUID id = new UUID(~seed, v);
            int primary = random.nextInt(hosts);
            servers.add(new ServerInfo(id, "vm" + v, "ACTIVE", Optional.of(names[primary]), "m1.small", 20, Map.of(), protect));
            for (int r = 1; r <= replicas; r++) {
                String holder = names[(primary + r * 7 + random.nextInt(5)) % hosts];
                lags.computeIfAbsent(holder, h -> new HashMap<>()).put(id, random.nextDouble() * 60);
                versions.computeIfAbsent(holder, h -> new HashMap<>()).put(id, (long) random.nextInt(100_000));
            }
        }
        Map<String, AgentReading> agents = new HashMap<>();
        for (int i = 0; i < hosts; i++) {
            if (random.nextInt(500) == 0) {
                agents.put(names[i], AgentReading.failed(names[i], "connection refused"));
                continue;
            }
            double cpu = random.nextInt(100) == 0 ? 95 + random.nextDouble() * 5 : random.nextDouble() * 80;
            Map<UUID, Double> held = lags.getOrDefault(names[i], Map.of());
            agents.put(names[i], AgentReading.of(names[i], new HostStats(names[i], now, cpu,
                    (long) (random.nextDouble() * 64) << 30, 256L << 30, (long) (60 + random.nextInt(900)) << 30,
                    2000L << 30, random.nextDouble() * 16, 1, 1, 10, List.of(), held, true, Map.of(),
                    versions.getOrDefault(names[i], Map.of()))));
        }
        return new Synthetic(new NovaSnapshot(services, hypervisors, servers, Map.of(), 3),
                agents, new RulesParser().parse(RULES, "(bench rules)"));
    }
}
