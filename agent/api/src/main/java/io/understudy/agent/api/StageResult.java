package io.understudy.agent.api;

import java.util.UUID;

/** {@code POST /v1/replicas/{uuid}/stage}: the replica version now in place as the instance's disk, and where. */
public record StageResult(UUID vm, long version, String disk) {}
