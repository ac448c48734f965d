package io.understudy.scheduler.moves;

import static java.util.Objects.requireNonNull;

import java.util.Map;

/** The fencer of each host: the one the configuration names for it, else the default. */
public final class Fencers {

    private final Map<String, Fencer> byHost;
    private final Fencer fallback;

    public Fencers(Map<String, Fencer> byHost, Fencer fallback) {
        this.byHost = Map.copyOf(requireNonNull(byHost, "byHost is null"));
        this.fallback = requireNonNull(fallback, "fallback is null");
    }

    public Fencer of(String host) {
        return byHost.getOrDefault(host, fallback);
    }
}
