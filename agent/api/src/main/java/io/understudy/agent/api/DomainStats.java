package io.understudy.agent.api;

import java.util.UUID;

/** One running domain's cheap counters: CPU over the last sampling interval, block I/O since it started. */
public record DomainStats(UUID vm, String domain, double cpuPercent, long readBytes, long writeBytes) {}
