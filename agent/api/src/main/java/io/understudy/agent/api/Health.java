package io.understudy.agent.api;

import java.time.Instant;

/**
 * {@code GET /v1/health}: the agent answers, and whether it reaches libvirt. With
 * {@code libvirtReachable} false the agent is up but libvirtd is not answering (stopped or
 * restarting): the agent reconnects by itself, and its rounds and fencing fail until it has.
 */
public record Health(String host, String status, String version, long uptimeSeconds, boolean libvirtReachable,
        Instant time) {}
