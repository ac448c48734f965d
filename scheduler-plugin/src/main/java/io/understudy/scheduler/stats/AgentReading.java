package io.understudy.scheduler.stats;

import static java.util.Objects.requireNonNull;

import io.understudy.agent.api.HostStats;
import java.util.Optional;

/** One agent's answer this round, or why there was none. */
public record AgentReading(String host, Optional<HostStats> stats, Optional<String> error) {

    public AgentReading {
        requireNonNull(host, "host is null");
        requireNonNull(stats, "stats is null");
        requireNonNull(error, "error is null");
        if (stats.isPresent() == error.isPresent()) {
            throw new IllegalArgumentException("an agent reading has stats or an error, not both or neither");
        }
    }

    public static AgentReading of(String host, HostStats stats) {
        return new AgentReading(host, Optional.of(stats), Optional.empty());
    }

    public static AgentReading failed(String host, String error) {
        return new AgentReading(host, Optional.empty(), Optional.of(error));
    }
}
