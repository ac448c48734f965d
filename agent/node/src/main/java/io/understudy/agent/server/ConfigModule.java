package io.understudy.agent.server;

import com.google.inject.AbstractModule;
import io.understudy.agent.config.AgentConfig;
import java.time.Clock;

/** The validated configuration and the clock, for everyone. */
public final class ConfigModule extends AbstractModule {

    private final AgentConfig config;
    private final Clock clock;

    public ConfigModule(AgentConfig config, Clock clock) {
        this.config = config;
        this.clock = clock;
    }

    @Override
    protected void configure() {
        bind(AgentConfig.class).toInstance(config);
        bind(Clock.class).toInstance(clock);
    }
}
