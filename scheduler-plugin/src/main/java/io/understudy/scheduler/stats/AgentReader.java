package io.understudy.scheduler.stats;

import static java.util.Objects.requireNonNull;

import io.understudy.agent.api.HostStats;
import io.understudy.scheduler.metrics.ControllerMetrics;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;

/**
 * Asks every host's agent for {@code /v1/host/stats}, many at once: one slow or dead agent costs
 * its own timeout, not the round's. An agent that answers for another host than asked is treated
 * as not answering — judging one host by another's values would be worse than knowing nothing.
 */
public final class AgentReader {

    private final AgentDirectory agents;
    private final ControllerMetrics metrics;
    private final ExecutorService pool;

    /**
     * @param metrics where each agent that did not answer with its stats is counted
     * @param pool runs the requests; its size bounds how many are in flight
     */
    public AgentReader(AgentDirectory agents, ControllerMetrics metrics, ExecutorService pool) {
        this.agents = requireNonNull(agents, "agents is null");
        this.metrics = requireNonNull(metrics, "metrics is null");
        this.pool = requireNonNull(pool, "pool is null");
    }

    public Map<String, AgentReading> read(Collection<String> hosts) {
        List<CompletableFuture<AgentReading>> futures = new ArrayList<>(hosts.size());
        for (String host : hosts) {
            futures.add(CompletableFuture.supplyAsync(() -> {
                AgentReading reading = readOne(host);
                if (reading.error().isPresent()) {
                    metrics.agentError(host, "stats");
                }
                return reading;
            }, pool));
        }
        Map<String, AgentReading> out = new TreeMap<>();
        for (CompletableFuture<AgentReading> f : futures) {
            AgentReading r = f.join();
            out.put(r.host(), r);
        }
        return out;
    }

    private AgentReading readOne(String host) {
        io.understudy.agent.api.AgentClient agent;
        try {
            agent = agents.agent(host);
        } catch (RuntimeException e) {
            return AgentReading.failed(host, "no agent address: " + e.getMessage());
        }
        try {
            HostStats stats = agent.hostStats();
            if (stats == null) {
                return AgentReading.failed(host, "empty answer");
            }
            if (!host.equals(stats.host())) {
                return AgentReading.failed(host, "the agent says it is host '" + stats.host() + "'");
            }
            return AgentReading.of(host, stats);
        } catch (Exception e) {
            // Anything: refused, timed out, a body that is not HostStats; all mean "no values".
            String message = e.getMessage() == null || e.getMessage().isBlank()
                    ? e.getClass().getSimpleName() : e.getMessage().replaceAll("\\s*\\R\\s*", " ").strip();
            return AgentReading.failed(host, message.contains(agent.base().toString()) ? message
                    : agent.base() + ": " + message);
        }
    }
}
