package io.understudy.agent.api;

import java.time.Duration;
import java.util.List;
import java.util.UUID;

/**
 * {@code PUT /v1/vms/{uuid}/protection}: the controller's assignment. A primary replicates the
 * VM's disk to {@code peers} every {@code interval}; a secondary accepts deltas from the one peer
 * that is the primary.
 */
public record Protection(UUID vm, Role role, List<Peer> peers, Duration interval) {

    public Protection {
        Fields.required(vm, "vm");
        Fields.required(role, "role");
        peers = List.copyOf(Fields.required(peers, "peers"));
    }
}
