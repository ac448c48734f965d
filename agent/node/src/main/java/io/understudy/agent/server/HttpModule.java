package io.understudy.agent.server;

import com.google.inject.AbstractModule;
import com.google.inject.Provides;
import com.google.inject.Singleton;
import io.understudy.agent.config.AgentConfig;
import io.understudy.agent.resources.DomainResource;
import io.understudy.agent.resources.HealthResource;
import io.understudy.agent.resources.MetricsResource;
import io.understudy.agent.resources.PreservedResource;
import io.understudy.agent.resources.ProtectionResource;
import io.understudy.agent.resources.ReplicaResource;
import java.io.IOException;
import java.util.List;

/** The HTTP API: its resources and the server that carries them. */
public final class HttpModule extends AbstractModule {

    @Provides
    @Singleton
    AgentServer server(AgentConfig config, HealthResource health, ReplicaResource replicas,
            ProtectionResource protections, DomainResource domains, PreservedResource preserved,
            MetricsResource metrics) throws IOException {
        return new AgentServer(config, List.of(health, replicas, protections, domains, preserved, metrics));
    }
}
