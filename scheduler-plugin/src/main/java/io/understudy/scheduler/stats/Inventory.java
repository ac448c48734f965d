package io.understudy.scheduler.stats;

import io.understudy.scheduler.rules.Rules;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * The protected VMs of a round: the servers the rules protect that Nova has placed on a host, each
 * with the replicas the agents report.
 */
public final class Inventory {

    private Inventory() {
    }

    /** @return the protected VMs, and in {@code unplaced} the protected servers without a host */
    public static List<ProtectedVm> protectedVms(List<ServerInfo> servers, ReplicaIndex replicas, Rules rules,
            List<ServerInfo> unplaced) {
        List<ServerInfo> placed = new ArrayList<>();
        Set<UUID> ids = new HashSet<>(servers.size() * 2);
        for (ServerInfo server : servers) {
            if (!server.isProtectedBy(rules)) {
                continue;
            }
            if (server.host().isEmpty()) {
                unplaced.add(server);
                continue;
            }
            placed.add(server);
            ids.add(server.id());
        }
        Map<UUID, List<Replica>> held = replicas.of(ids);
        List<ProtectedVm> out = new ArrayList<>(placed.size());
        for (ServerInfo server : placed) {
            out.add(new ProtectedVm(server.id(), server.name(), server.host().get(), server.flavor(), server.diskGib(),
                    server.metadata(), server.extraSpecs(), held.getOrDefault(server.id(), List.of())));
        }
        return out;
    }
}
