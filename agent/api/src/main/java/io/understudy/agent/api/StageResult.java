package io.understudy.agent.api;

import java.util.List;
import java.util.UUID;

/**
 * {@code POST /v1/replicas/{uuid}/stage}: the replica version now in place as the instance's disk,
 * and where; {@code bootFiles}, the names it put into Nova's image cache (the instance's kernel and
 * ramdisk; an older agent sends none).
 */
public record StageResult(UUID vm, long version, String disk, List<String> bootFiles) {
    public StageResult {
        bootFiles = bootFiles == null ? List.of() : List.copyOf(bootFiles);
    }
}
