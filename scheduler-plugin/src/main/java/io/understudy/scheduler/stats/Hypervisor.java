package io.understudy.scheduler.stats;

import static java.util.Objects.requireNonNull;

/**
 * A hypervisor's capacity and usage as Nova counts them ({@code /os-hypervisors/detail} at 2.87,
 * the last version that still has these fields).
 *
 * @param host the compute service's host, which is what servers and services name
 */
public record Hypervisor(String host, String state, int vcpus, int vcpusUsed, long memoryMib, long memoryMibUsed,
        long diskGib, long diskGibUsed, int runningVms) {

    public Hypervisor {
        requireNonNull(host, "host is null");
        requireNonNull(state, "state is null");
    }
}
