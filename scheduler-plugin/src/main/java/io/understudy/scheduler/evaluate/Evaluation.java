package io.understudy.scheduler.evaluate;

import static java.util.Objects.requireNonNull;

import io.understudy.scheduler.rules.Rules;
import java.time.Instant;
import java.util.Collections;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The verdicts of one round over every host, and the breaches to carry into the next round.
 *
 * @param hosts by host name, in name order
 */
public record Evaluation(Instant at, Rules rules, Map<String, HostVerdict> hosts, Breaches breaches) {

    public Evaluation {
        requireNonNull(at, "at is null");
        requireNonNull(rules, "rules is null");
        requireNonNull(breaches, "breaches is null");
        hosts = Collections.unmodifiableMap(new TreeMap<>(hosts));
    }

    public Optional<HostVerdict> host(String name) {
        return Optional.ofNullable(hosts.get(name));
    }
}
