package io.understudy.agent.resources;

import io.understudy.agent.api.HostStats;
import java.io.IOException;

/** Where {@code /v1/host/stats} gets its figures: the hypervisor and the node's own counters. */
public interface HostStatsSource {

    HostStats sample() throws IOException;

    /** Whether the hypervisor answers, for {@code /v1/health}. */
    boolean hypervisorReachable();
}
