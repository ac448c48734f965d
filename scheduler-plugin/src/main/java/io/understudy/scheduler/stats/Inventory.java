package io.understudy.scheduler.stats;

import io.understudy.scheduler.rules.Rules;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * The protected VMs of a round: the servers the rules protect that Nova has placed on a host, each
 * with the replicas the agents report. One pass over the servers and one over the hosts.
 */
public final class Inventory {

    private Inventory() {
    }

    /** @return the protected VMs, and in {@code unplaced} the protected servers without a host */
    public static List<ProtectedVm> protectedVms(List<ServerInfo> servers, List<HostSample> samples, Rules rules,
            List<ServerInfo> unplaced) {
        Map<UUID, List<Replica>> replicas = new HashMap<>(servers.size() * 2);
        for (HostSample s : samples) {
            for (Map.Entry<UUID, Double> e : s.replicaLagSeconds().entrySet()) {
                if (e.getValue() != null && !e.getValue().isNaN() && e.getValue() >= 0) {
                    replicas.computeIfAbsent(e.getKey(), k -> new ArrayList<>(2)).add(new Replica(s.host(), e.getValue()));
                }
            }
        }
        List<ProtectedVm> out = new ArrayList<>();
        for (ServerInfo server : servers) {
            if (!rules.isProtected(server.metadata(), server.flavor())) {
                continue;
            }
            if (server.host().isEmpty()) {
                unplaced.add(server);
                continue;
            }
            out.add(new ProtectedVm(server.id(), server.name(), server.host().get(), server.flavor(), server.diskGib(),
                    server.metadata(), replicas.getOrDefault(server.id(), List.of())));
        }
        return out;
    }
}
