package io.understudy.scheduler.stats;

import java.util.Arrays;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * The operating parameters a rule can name, each with where its value comes from. The names are
 * the rules file's vocabulary: renaming one breaks operators' files.
 */
public enum Parameter {
    AGENT_REACHABLE("agent_reachable", Kind.BOOLEAN, Source.CONTROLLER, "the host's agent answered /v1/host/stats this round"),
    SERVICE_UP("service_up", Kind.BOOLEAN, Source.NOVA, "Nova's nova-compute service is up and not forced down"),
    SERVICE_ENABLED("service_enabled", Kind.BOOLEAN, Source.NOVA, "Nova's nova-compute service is enabled, "
            + "or disabled only by Understudy's failover"),
    FORCED_DOWN("forced_down", Kind.BOOLEAN, Source.NOVA, "the service is forced down"),
    SERVICE_REPORT_AGE("service_report_age_seconds", Kind.NUMBER, Source.NOVA,
            "seconds since nova-compute last reported (updated_at), by the controller's clock"),
    HYPERVISOR_STATE("hypervisor_state", Kind.TEXT, Source.NOVA, "the hypervisor's state: up or down"),
    NOVA_VCPUS_FREE("nova_vcpus_free", Kind.NUMBER, Source.NOVA, "vCPUs minus vCPUs used, as Nova counts them"),
    NOVA_RAM_FREE_MIB("nova_ram_free_mib", Kind.NUMBER, Source.NOVA, "RAM minus RAM used (MiB), as Nova counts them"),
    NOVA_DISK_FREE_GIB("nova_disk_free_gib", Kind.NUMBER, Source.NOVA, "local disk minus disk used (GiB), as Nova counts them"),
    RUNNING_VMS("running_vms", Kind.NUMBER, Source.NOVA, "servers on the hypervisor, as Nova counts them"),
    CPU_PERCENT("cpu_percent", Kind.NUMBER, Source.AGENT, "host CPU busy, percent, over the agent's last sample"),
    MEMORY_FREE_MIB("memory_free_mib", Kind.NUMBER, Source.AGENT, "free memory (MiB) as the host sees it"),
    DISK_FREE_GIB("disk_free_gib", Kind.NUMBER, Source.AGENT, "free space (GiB) of the instances path's file system"),
    LOAD1("load1", Kind.NUMBER, Source.AGENT, "1-minute load average"),
    REPLICA_LAG_MAX("replica_lag_max_seconds", Kind.NUMBER, Source.AGENT,
            "the oldest of the replicas the host holds, seconds behind its primary");

    /** How a value is written and compared. */
    public enum Kind { NUMBER, BOOLEAN, TEXT }

    /** Who measures it. */
    public enum Source { NOVA, AGENT, CONTROLLER }

    private final String key;
    private final Kind kind;
    private final Source source;
    private final String description;

    Parameter(String key, Kind kind, Source source, String description) {
        this.key = key;
        this.kind = kind;
        this.source = source;
        this.description = description;
    }

    /** The name rules use. */
    public String key() {
        return key;
    }

    public Kind kind() {
        return kind;
    }

    public Source source() {
        return source;
    }

    public String description() {
        return description;
    }

    public static Optional<Parameter> byKey(String key) {
        return Arrays.stream(values()).filter(p -> p.key.equals(key)).findFirst();
    }

    public static String keys() {
        return Arrays.stream(values()).map(Parameter::key).collect(Collectors.joining(", "));
    }
}
