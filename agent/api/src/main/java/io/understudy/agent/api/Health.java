package io.understudy.agent.api;

import java.time.Instant;

/** {@code GET /v1/health}: the agent answers, and whether it reaches libvirt. */
public record Health(String host, String status, String version, long uptimeSeconds, boolean libvirtReachable,
        Instant time) {}
