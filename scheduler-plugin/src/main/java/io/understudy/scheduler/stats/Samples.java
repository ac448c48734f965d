package io.understudy.scheduler.stats;

import io.understudy.agent.api.HostStats;
import io.understudy.nova.state.ComputeService;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;

/**
 * Merges Nova's view and the agents' answers into one {@link HostSample} per compute host. Pure.
 * The hosts are those Nova knows (services and hypervisors); a host Nova lists in one and not
 * the other gets what is known and a problem naming what is not.
 */
public final class Samples {

    private static final double MIB = 1024.0 * 1024;
    private static final double GIB = MIB * 1024;

    private Samples() {
    }

    /** One round's hosts, and every replica their agents reported. */
    public record Merged(List<HostSample> samples, ReplicaIndex replicas) {}

    public static List<HostSample> merge(NovaSnapshot nova, Map<String, AgentReading> agents, Instant now) {
        return mergeWithReplicas(nova, agents, now).samples();
    }

    public static Merged mergeWithReplicas(NovaSnapshot nova, Map<String, AgentReading> agents, Instant now) {
        Map<String, ComputeService> services = new HashMap<>();
        nova.services().forEach(s -> services.put(s.host(), s));
        Map<String, Hypervisor> hypervisors = new HashMap<>();
        nova.hypervisors().forEach(h -> hypervisors.put(h.host(), h));
        List<String> hosts = hostsInNameOrder(nova);

        HostSample[] out = new HostSample[hosts.size()];
        ReplicaIndex replicas = new ReplicaIndex(hosts.size());
        // Hosts are merged one by one, half of them on each core: most of the merge is waiting for
        // the cache misses of reading the agents' lags, and two cores wait for theirs side by side.
        IntStream.range(0, out.length).parallel().forEach(i -> {
            String host = hosts.get(i);
            out[i] = sample(host, services.get(host), hypervisors.get(host), agents.get(host), replicas, i, now);
        });
        return new Merged(List.of(out), replicas);
    }

    /**
     * One host's values from what Nova and its agent said (any of them null when they said nothing
     * of it); its replicas go into {@code replicas} as host number {@code index}. A method of its
     * own, called per host, so that the JIT compiles it within a round's first thousands of hosts.
     */
    private static HostSample sample(String host, ComputeService service, Hypervisor h, AgentReading agent,
            ReplicaIndex replicas, int index, Instant now) {
        Map<Parameter, Value> values = new EnumMap<>(Parameter.class);
        List<String> problems = new ArrayList<>();
        if (service == null) {
            // Never silently healthy: no service record means Nova cannot vouch for the host.
            values.put(Parameter.SERVICE_UP, Value.of(false));
            problems.add("Nova lists no nova-compute service on this host");
        } else {
            values.put(Parameter.SERVICE_UP, Value.of(service.up() && !service.forcedDown()));
            // The operator's knob, not the failover's: a host a failover disabled is forced down too,
            // which service_up says; counting the disable as well would have rules judge the failover
            // itself (a VM left on it moved again once it is back, a replica there dropped).
            values.put(Parameter.SERVICE_ENABLED, Value.of(service.enabled() || service.disabledByUnderstudy()));
            values.put(Parameter.FORCED_DOWN, Value.of(service.forcedDown()));
            service.updatedAt().ifPresent(at -> values.put(Parameter.SERVICE_REPORT_AGE,
                    Value.of(Math.max(0, Duration.between(at, now).toMillis() / 1000.0))));
        }
        if (h == null) {
            problems.add("Nova lists no hypervisor for this host");
        } else {
            values.put(Parameter.HYPERVISOR_STATE, Value.of(h.state()));
            values.put(Parameter.NOVA_VCPUS_FREE, Value.of(h.vcpus() - h.vcpusUsed()));
            values.put(Parameter.NOVA_RAM_FREE_MIB, Value.of(h.memoryMib() - h.memoryMibUsed()));
            values.put(Parameter.NOVA_DISK_FREE_GIB, Value.of(h.diskGib() - h.diskGibUsed()));
            values.put(Parameter.RUNNING_VMS, Value.of(h.runningVms()));
        }
        Map<java.util.UUID, Double> lags = Map.of();
        if (agent == null || agent.stats().isEmpty()) {
            values.put(Parameter.AGENT_REACHABLE, Value.of(false));
            problems.add("agent: " + (agent == null ? "not asked" : agent.error().orElseThrow()));
        } else {
            HostStats s = agent.stats().get();
            values.put(Parameter.AGENT_REACHABLE, Value.of(true));
            values.put(Parameter.CPU_PERCENT, Value.of(s.cpuPercent()));
            values.put(Parameter.MEMORY_FREE_MIB, Value.of(s.memoryFreeBytes() / MIB));
            values.put(Parameter.DISK_FREE_GIB, Value.of(s.diskFreeBytes() / GIB));
            values.put(Parameter.LOAD1, Value.of(s.load1()));
            // One pass over the lags: the index keeps their VMs and gives back the oldest.
            double oldest = replicas.add(index, host, s.replicaLagSeconds(), s.replicaVersions());
            values.put(Parameter.REPLICA_LAG_MAX, Value.of(oldest));
            lags = s.replicaLagSeconds();
            // Shown to the operator with the host's problems: the agent ended it and waits for a protect.
            new java.util.TreeMap<>(s.stoppedProtections()).forEach((vm, reason) ->
                    problems.add("protection of vm " + vm + " stopped: " + reason));
        }
        return new HostSample(host, values, lags, problems);
    }

    /** Every host Nova lists a service or a hypervisor for, once each. */
    private static List<String> hostsInNameOrder(NovaSnapshot nova) {
        List<String> all = new ArrayList<>(nova.services().size() + nova.hypervisors().size());
        nova.services().forEach(s -> all.add(s.host()));
        nova.hypervisors().forEach(h -> all.add(h.host()));
        // Nova's lists are often in name order already: sorting them together then costs about a
        // merge, where a TreeSet would compare its way down a tree for every name.
        all.sort(null);
        List<String> hosts = new ArrayList<>(all.size());
        for (String host : all) {
            if (hosts.isEmpty() || !hosts.get(hosts.size() - 1).equals(host)) {
                hosts.add(host);
            }
        }
        return hosts;
    }
}
