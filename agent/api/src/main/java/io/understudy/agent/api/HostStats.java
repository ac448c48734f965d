package io.understudy.agent.api;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * {@code GET /v1/host/stats}: the operating-parameter values a node measures about itself
 * (CLAIM.md, step 3). CPU is a percentage over the agent's last sampling interval; disk is the
 * file system of the instances path; {@code replicaLagSeconds} covers the replicas this node holds,
 * {@code replicaVersions} their versions (the deltas each has applied).
 * While {@code libvirtReachable} is false (libvirtd stopped or restarting; the agent reconnects by
 * itself) the node's own figures are measured, but {@code runningDomains} and {@code domains}
 * are unknown and given as 0 and empty. {@code stoppedProtections} names each VM this node is
 * primary of whose protection stopped (its domain changed in a way the agent cannot follow), with
 * the reason.
 */
public record HostStats(
        String host,
        Instant time,
        double cpuPercent,
        long memoryFreeBytes,
        long memoryTotalBytes,
        long diskFreeBytes,
        long diskTotalBytes,
        double load1,
        double load5,
        double load15,
        int runningDomains,
        List<DomainStats> domains,
        Map<UUID, Double> replicaLagSeconds,
        boolean libvirtReachable,
        Map<UUID, String> stoppedProtections,
        Map<UUID, Long> replicaVersions) {

    public HostStats {
        domains = List.copyOf(domains);
        replicaLagSeconds = Map.copyOf(replicaLagSeconds);
        // Absent from an agent that predates stopped protections.
        stoppedProtections = stoppedProtections == null ? Map.of() : Map.copyOf(stoppedProtections);
        // Absent from an agent that predates replica versions.
        replicaVersions = replicaVersions == null ? Map.of() : Map.copyOf(replicaVersions);
    }
}
