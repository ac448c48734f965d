package io.understudy.scheduler.evaluate;

import static java.util.Objects.requireNonNull;

import io.understudy.scheduler.rules.Rules;
import java.time.Instant;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The verdicts of one round over every host, and the breaches to carry into the next round.
 *
 * @param hosts by host name, iterated in name order (looked up by hash: a round looks up
 *     hundreds of thousands of times)
 */
public record Evaluation(Instant at, Rules rules, Map<String, HostVerdict> hosts, Breaches breaches) {

    public Evaluation {
        requireNonNull(at, "at is null");
        requireNonNull(rules, "rules is null");
        requireNonNull(breaches, "breaches is null");
        hosts = Collections.unmodifiableMap(inNameOrder(hosts));
    }

    /** A copy in name order; a map given in that order already is copied without sorting. */
    private static Map<String, HostVerdict> inNameOrder(Map<String, HostVerdict> hosts) {
        String previous = null;
        boolean sorted = true;
        for (String host : hosts.keySet()) {
            if (previous != null && previous.compareTo(host) >= 0) {
                sorted = false;
                break;
            }
            previous = host;
        }
        Map<String, HostVerdict> copy = new LinkedHashMap<>(hosts.size() * 2);
        (sorted ? hosts : new TreeMap<>(hosts)).forEach(copy::put);
        return copy;
    }

    public Optional<HostVerdict> host(String name) {
        return Optional.ofNullable(hosts.get(name));
    }
}
