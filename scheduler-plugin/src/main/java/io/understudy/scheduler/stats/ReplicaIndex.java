package io.understudy.scheduler.stats;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * Every replica the agents reported in one round, filled by {@link Samples#mergeWithReplicas} in
 * the pass that already reads every lag for each host's oldest replica.
 *
 * <p>A round wants the replicas of a few thousand VMs out of 100,000, and the agents' maps are
 * keyed by VM ids scattered over the heap: reading them all again costs a cache miss per replica.
 * So each id's hash is kept beside it in a flat array, and {@link #of} compares hashes first,
 * reading an id only when its hash is one of the wanted ones.
 */
public final class ReplicaIndex {

    private UUID[] vms;
    private int[] hashes;
    private String[] hosts;
    private double[] lags;
    private int size;

    ReplicaIndex(int capacity) {
        int c = Math.max(16, capacity);
        vms = new UUID[c];
        hashes = new int[c];
        hosts = new String[c];
        lags = new double[c];
    }

    /** A lag that is not a number of seconds (NaN, negative) is not a usable replica and is left out. */
    void add(UUID vm, String host, double lagSeconds) {
        if (Double.isNaN(lagSeconds) || lagSeconds < 0) {
            return;
        }
        if (size == vms.length) {
            int c = size * 2;
            vms = Arrays.copyOf(vms, c);
            hashes = Arrays.copyOf(hashes, c);
            hosts = Arrays.copyOf(hosts, c);
            lags = Arrays.copyOf(lags, c);
        }
        vms[size] = vm;
        hashes[size] = vm.hashCode();
        hosts[size] = host;
        lags[size] = lagSeconds;
        size++;
    }

    /** How many replicas were reported, all VMs together. */
    public int size() {
        return size;
    }

    /**
     * @return the replicas of these VMs, each VM's in the order its holders were merged (host name
     *     order); a VM no agent reported a replica of is absent
     */
    public Map<UUID, List<Replica>> of(Set<UUID> wanted) {
        // At most one bit in 64 set: a replica of another VM has its id read one time in 64 at most.
        int bits = Integer.highestOneBit(Math.max(1, wanted.size()) * 64) * 2;
        BitSet wantedHashes = new BitSet(bits);
        for (UUID vm : wanted) {
            wantedHashes.set(vm.hashCode() & (bits - 1));
        }
        Map<UUID, List<Replica>> out = new HashMap<>(wanted.size() * 2);
        for (int i = 0; i < size; i++) {
            if (wantedHashes.get(hashes[i] & (bits - 1)) && wanted.contains(vms[i])) {
                out.computeIfAbsent(vms[i], vm -> new ArrayList<>(2)).add(new Replica(hosts[i], lags[i]));
            }
        }
        return out;
    }
}
