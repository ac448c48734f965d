package io.understudy.agent.resources;

import io.understudy.agent.api.Health;
import io.understudy.agent.api.HostStats;
import io.understudy.agent.config.AgentConfig;
import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import java.io.IOException;
import java.time.Clock;
import java.time.Instant;

/** {@code /v1/health} and {@code /v1/host/stats}: is this node alive, and how is it doing. */
@Path("/v1")
@Produces(MediaType.APPLICATION_JSON)
public final class HealthResource {

    static final String VERSION = "0.1.0";

    private final AgentConfig config;
    private final HostStatsSource stats;
    private final Clock clock;
    private final Instant started;

    @Inject
    public HealthResource(AgentConfig config, HostStatsSource stats, Clock clock) {
        this.config = config;
        this.stats = stats;
        this.clock = clock;
        this.started = clock.instant();
    }

    @GET
    @Path("health")
    public Health health() {
        Instant now = clock.instant();
        return new Health(config.host(), "ok", VERSION, now.getEpochSecond() - started.getEpochSecond(),
                stats.hypervisorReachable(), now);
    }

    @GET
    @Path("host/stats")
    public HostStats hostStats() throws IOException {
        return stats.sample();
    }
}
