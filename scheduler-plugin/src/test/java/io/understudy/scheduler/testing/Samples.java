package io.understudy.scheduler.testing;

import io.understudy.scheduler.stats.HostSample;
import io.understudy.scheduler.stats.Parameter;
import io.understudy.scheduler.stats.Value;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/** Builds hosts' values for tests: a healthy host by default, then what the test changes. */
public final class Samples {

    private final String host;
    private final Map<Parameter, Value> values = new EnumMap<>(Parameter.class);
    private final Map<UUID, Double> lags = new HashMap<>();

    private Samples(String host) {
        this.host = host;
        values.put(Parameter.AGENT_REACHABLE, Value.of(true));
        values.put(Parameter.SERVICE_UP, Value.of(true));
        values.put(Parameter.SERVICE_ENABLED, Value.of(true));
        values.put(Parameter.FORCED_DOWN, Value.of(false));
        values.put(Parameter.CPU_PERCENT, Value.of(20));
        values.put(Parameter.DISK_FREE_GIB, Value.of(500));
        values.put(Parameter.MEMORY_FREE_MIB, Value.of(8192));
    }

    public static Samples host(String host) {
        return new Samples(host);
    }

    public Samples set(Parameter p, double v) {
        values.put(p, Value.of(v));
        return this;
    }

    public Samples set(Parameter p, boolean v) {
        values.put(p, Value.of(v));
        return this;
    }

    public Samples set(Parameter p, String v) {
        values.put(p, Value.of(v));
        return this;
    }

    public Samples without(Parameter p) {
        values.remove(p);
        return this;
    }

    /** This host holds a replica of VM, LAG seconds behind. */
    public Samples replica(UUID vm, double lag) {
        lags.put(vm, lag);
        return this;
    }

    public HostSample build() {
        return new HostSample(host, values, lags, List.of());
    }
}
