package io.understudy.scheduler.stats;

import static java.util.Objects.requireNonNull;

import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * A protected VM as this round sees it: its primary (the Nova host it runs on) and its
 * secondaries (the hosts whose agents hold a replica of it).
 *
 * @param diskGib the flavor's root disk, what a new secondary must have room for
 * @param replicas sorted by host name
 */
public record ProtectedVm(UUID id, String name, String primary, String flavor, int diskGib,
        Map<String, String> metadata, Map<String, String> extraSpecs, List<Replica> replicas) {

    /** Server metadata naming a VM's anti-affinity group: no two of its members on one host. */
    public static final String ANTI_AFFINITY_KEY = "understudy:anti-affinity";

    private static final Comparator<Replica> BY_HOST = Comparator.comparing(Replica::host);

    public ProtectedVm {
        requireNonNull(id, "id is null");
        requireNonNull(name, "name is null");
        requireNonNull(primary, "primary is null");
        requireNonNull(flavor, "flavor is null");
        metadata = Map.copyOf(metadata);
        extraSpecs = Map.copyOf(extraSpecs);
        if (replicas.size() == 2) {
            Replica a = replicas.get(0);
            Replica b = replicas.get(1);
            replicas = a.host().compareTo(b.host()) <= 0 ? List.of(a, b) : List.of(b, a);
        } else if (replicas.size() > 2) {
            Replica[] sorted = replicas.toArray(Replica[]::new);
            java.util.Arrays.sort(sorted, BY_HOST);
            replicas = List.of(sorted);
        } else {
            replicas = List.copyOf(replicas);
        }
    }

    public Optional<String> antiAffinityGroup() {
        return Optional.ofNullable(metadata.get(ANTI_AFFINITY_KEY)).filter(g -> !g.isBlank());
    }
}
