package io.understudy.scheduler.stats;

import io.understudy.agent.api.AgentClient;

/** Where each host's agent answers: a client per compute host name. */
@FunctionalInterface
public interface AgentDirectory {

    AgentClient agent(String host);
}
