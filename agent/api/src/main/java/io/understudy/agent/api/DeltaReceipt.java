package io.understudy.agent.api;

import java.util.UUID;

/**
 * The answer to a delta: the version the replica now holds, and whether this delta changed it
 * ({@code applied} false: a replay of one already held).
 */
public record DeltaReceipt(UUID vm, long version, boolean applied, long payloadBytes) {}
