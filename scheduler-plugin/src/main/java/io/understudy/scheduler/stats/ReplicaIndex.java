package io.understudy.scheduler.stats;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * The replicas the agents reported in one round, host by host, filled by
 * {@link Samples#mergeWithReplicas} in the pass that already reads every lag for each host's
 * oldest replica. Each host has its own slot, so that hosts can be added from several threads;
 * {@link #of} is called once they all are.
 *
 * <p>A round wants the replicas of a few thousand VMs out of 100,000, and the agents' maps are
 * keyed by VM ids scattered over the heap: reading them all a second time costs a cache miss per
 * replica. So each id's hash is kept beside it, and {@link #of} compares hashes first, reading an
 * id only when its hash is one of the wanted ones.
 */
public final class ReplicaIndex {

    /** One host's agent's map, with its keys and their hashes in arrays. */
    private record Held(String host, Map<UUID, Double> lags, Map<UUID, Long> versions, UUID[] vms, int[] hashes) {}

    /** By host, in name order; null for a host whose agent did not answer. */
    private final Held[] held;

    ReplicaIndex(int hosts) {
        held = new Held[hosts];
    }

    /**
     * @param index the host's place in name order
     * @return the oldest of these replicas' lags, 0 when there is none
     */
    double add(int index, String host, Map<UUID, Double> lags, Map<UUID, Long> versions) {
        UUID[] vms = new UUID[lags.size()];
        int[] hashes = new int[vms.length];
        double oldest = 0;
        int i = 0;
        for (Map.Entry<UUID, Double> e : lags.entrySet()) {
            oldest = Math.max(oldest, e.getValue());
            vms[i] = e.getKey();
            hashes[i] = vms[i].hashCode();
            i++;
        }
        held[index] = new Held(host, lags, versions, vms, hashes);
        return oldest;
    }

    /**
     * @return the replicas of these VMs, each VM's in the hosts' name order;
     *     a VM no agent reported a usable replica of is absent
     */
    public Map<UUID, List<Replica>> of(Set<UUID> wanted) {
        // At most one bit in 64 set: an id of another VM is read one time in 64 at most.
        int bits = Integer.highestOneBit(Math.max(1, wanted.size()) * 64) * 2;
        BitSet wantedHashes = new BitSet(bits);
        for (UUID vm : wanted) {
            wantedHashes.set(vm.hashCode() & (bits - 1));
        }
        Map<UUID, List<Replica>> out = new HashMap<>(wanted.size() * 2);
        for (Held h : held) {
            if (h == null) {
                continue;
            }
            for (int i = 0; i < h.vms.length; i++) {
                if (!wantedHashes.get(h.hashes[i] & (bits - 1)) || !wanted.contains(h.vms[i])) {
                    continue;
                }
                double lag = h.lags.get(h.vms[i]);
                // A lag that is not a number of seconds does not make a usable replica.
                if (!Double.isNaN(lag) && lag >= 0) {
                    out.computeIfAbsent(h.vms[i], vm -> new ArrayList<>(2)).add(new Replica(h.host, lag,
                            h.versions.getOrDefault(h.vms[i], -1L)));
                }
            }
        }
        return out;
    }
}
