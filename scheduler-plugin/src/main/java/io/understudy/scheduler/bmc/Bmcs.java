package io.understudy.scheduler.bmc;

import static java.util.Objects.requireNonNull;

import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/** The BMC of each host that has one configured. */
public final class Bmcs implements PowerChannel {

    private final Map<String, Bmc> byHost;

    public Bmcs(Map<String, Bmc> byHost) {
        this.byHost = Map.copyOf(requireNonNull(byHost, "byHost is null"));
    }

    public Optional<Bmc> of(String host) {
        return Optional.ofNullable(byHost.get(host));
    }

    @Override
    public Set<String> hosts() {
        return byHost.keySet();
    }

    @Override
    public Optional<PowerReading> read(String host, Duration timeout) {
        return of(host).map(bmc -> bmc.power(timeout));
    }
}
