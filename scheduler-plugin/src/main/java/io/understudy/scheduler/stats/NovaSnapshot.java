package io.understudy.scheduler.stats;

import io.understudy.nova.state.ComputeService;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What Nova said in one round.
 *
 * @param aggregates hosts per aggregate name; empty when the rules name no aggregate (then not read)
 * @param requests how many requests reading it took (one per page and kind)
 */
public record NovaSnapshot(List<ComputeService> services, List<Hypervisor> hypervisors, List<ServerInfo> servers,
        Map<String, Set<String>> aggregates, int requests) {

    public NovaSnapshot {
        services = List.copyOf(services);
        hypervisors = List.copyOf(hypervisors);
        servers = List.copyOf(servers);
        aggregates = Map.copyOf(aggregates);
    }
}
