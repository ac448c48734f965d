package io.understudy.scheduler.evaluate;

import static java.util.Objects.requireNonNull;

import java.time.Instant;
import java.util.Map;
import java.util.Optional;

/**
 * When each ongoing breach began, per host and rule name: the only memory evaluation keeps from
 * one round to the next. Kept in the shared records (seen by standby controllers) and in history.
 */
public record Breaches(Map<String, Map<String, Instant>> since) {

    public static final Breaches NONE = new Breaches(Map.of());

    public Breaches {
        requireNonNull(since, "since is null");
        since = since.entrySet().stream().filter(e -> !e.getValue().isEmpty())
                .collect(java.util.stream.Collectors.toUnmodifiableMap(Map.Entry::getKey, e -> Map.copyOf(e.getValue())));
    }

    public Optional<Instant> of(String host, String rule) {
        Map<String, Instant> rules = since.get(host);
        return rules == null ? Optional.empty() : Optional.ofNullable(rules.get(rule));
    }
}
