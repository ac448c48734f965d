package io.understudy.scheduler.config;

import java.util.Arrays;
import java.util.Optional;
import java.util.stream.Collectors;

/** How a host is fenced before its VMs are evacuated: the {@code method} of a {@link FenceConfig}. */
public enum FenceMethod {
    /** The host's nova-compute is down in Nova by its own silence, longer than service_down_time. */
    NOVA_DOWN("nova-down"),
    /** The host's agent destroys the VM's domain and reads libvirt back: a sick host whose agent answers. */
    AGENT("agent"),
    /** The host's BMC powers it off (Redfish ForceOff) and reports PowerState Off. */
    REDFISH("redfish"),
    /** A command stops the host's processes (the single-machine cloud's stand-in for a power-off). */
    PROCESS("process");

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

    /** "nova-down, agent, redfish, process": for errors. */
    public static String known() {
        return Arrays.stream(values()).map(FenceMethod::key).collect(Collectors.joining(", "));
    }
}
