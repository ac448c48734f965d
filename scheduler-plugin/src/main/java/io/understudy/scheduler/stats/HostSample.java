package io.understudy.scheduler.stats;

import static java.util.Objects.requireNonNull;

import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * One compute host's parameter values in one round, and the replicas its agent says it holds.
 *
 * @param values only the parameters that were measured; a missing one is unknown, not "fine"
 * @param replicaLagSeconds per VM whose replica this host holds: how far behind its primary it is
 * @param problems what could not be read and why (agent refused, no hypervisor record, ...)
 */
public record HostSample(String host, Map<Parameter, Value> values, Map<UUID, Double> replicaLagSeconds,
        List<String> problems) {

    public HostSample {
        requireNonNull(host, "host is null");
        values = values.isEmpty() ? Map.of() : Collections.unmodifiableMap(new EnumMap<>(values));
        replicaLagSeconds = Map.copyOf(replicaLagSeconds);
        problems = List.copyOf(problems);
    }

    public Optional<Value> value(Parameter parameter) {
        return Optional.ofNullable(values.get(parameter));
    }

    /** True only when the value is known and true. */
    public boolean isTrue(Parameter parameter) {
        return values.get(parameter) instanceof Value.Bool b && b.value();
    }

    /** True only when the value is known and false: unknown is not false either. */
    public boolean isFalse(Parameter parameter) {
        return values.get(parameter) instanceof Value.Bool b && !b.value();
    }
}
