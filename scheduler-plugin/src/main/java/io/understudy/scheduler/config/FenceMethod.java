package io.understudy.scheduler.config;

import java.util.Arrays;
import java.util.Optional;

/**
 * How a host is fenced before its VMs are evacuated ({@code moves.fencing}). Only Nova's own
 * verdict exists until confirmed fencing does (issue 9: Redfish power-off, the agent destroying
 * the domain, stopping the single-machine cloud's processes).
 */
public enum FenceMethod {
    /** The host's nova-compute is down in Nova by its own silence, longer than service_down_time. */
    NOVA_DOWN("nova-down");

    private final String key;

    FenceMethod(String key) {
        this.key = key;
    }

    public String key() {
        return key;
    }

    public static Optional<FenceMethod> byKey(String key) {
        return Arrays.stream(values()).filter(m -> m.key.equals(key)).findFirst();
    }
}
