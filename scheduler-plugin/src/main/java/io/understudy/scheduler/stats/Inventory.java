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
        // VM id -> Replica, or Replica[] once there are several: no list per VM (100,000 of them).
        // Only the VMs asked about: replicas of others are skipped without allocating anything.
        java.util.Set<UUID> wanted = new java.util.HashSet<>(servers.size() * 2);
        servers.forEach(s -> wanted.add(s.id()));
        Map<UUID, Object> replicas = new HashMap<>(servers.size() * 2);
        for (HostSample s : samples) {
            for (Map.Entry<UUID, Double> e : s.replicaLagSeconds().entrySet()) {
                if (!wanted.contains(e.getKey())) {
                    continue;
                }
                Double lag = e.getValue();
                if (lag != null && !lag.isNaN() && lag >= 0) {
                    Replica r = new Replica(s.host(), lag);
                    Object held = replicas.putIfAbsent(e.getKey(), r);
                    if (held instanceof Replica first) {
                        replicas.put(e.getKey(), new Replica[] {first, r});
                    } else if (held instanceof Replica[] some) {
                        Replica[] more = java.util.Arrays.copyOf(some, some.length + 1);
                        more[some.length] = r;
                        replicas.put(e.getKey(), more);
                    }
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
            Object held = replicas.get(server.id());
            List<Replica> of = held == null ? List.of()
                    : held instanceof Replica one ? List.of(one) : List.of((Replica[]) held);
            out.add(new ProtectedVm(server.id(), server.name(), server.host().get(), server.flavor(), server.diskGib(),
                    server.metadata(), of));
        }
        return out;
    }
}
