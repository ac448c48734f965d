package io.understudy.agent.server;

import com.google.inject.AbstractModule;
import com.google.inject.Provides;
import com.google.inject.Singleton;
import io.understudy.agent.config.AgentConfig;
import io.understudy.agent.replica.ReplicaStore;
import io.understudy.agent.replication.Protections;
import java.io.IOException;
import java.time.Clock;

/** What the agent keeps on disk, all under its data directory. */
public final class StoreModule extends AbstractModule {

    @Provides
    @Singleton
    ReplicaStore replicas(AgentConfig config, Clock clock) throws IOException {
        return new ReplicaStore(config.dataDir().resolve("replicas"), clock);
    }

    @Provides
    @Singleton
    Protections protections(AgentConfig config) throws IOException {
        return new Protections(config.dataDir().resolve("protection"));
    }
}
