package io.understudy.agent.api;

import java.util.UUID;

/**
 * {@code POST /v1/domains/{uuid}/destroy}: the agent fenced a VM on its node. {@code stopped} is
 * libvirt's state read back after the destroy: the VM has no running process there any more
 * (or the node never had it); {@code wasRunning} says whether it had to be killed.
 */
public record FenceResult(UUID vm, String host, boolean wasRunning, boolean stopped, String state) {}
