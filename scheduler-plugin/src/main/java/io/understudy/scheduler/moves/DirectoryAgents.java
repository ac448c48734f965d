package io.understudy.scheduler.moves;

import static java.util.Objects.requireNonNull;

import io.understudy.agent.api.AgentClient;
import io.understudy.agent.api.AgentException;
import io.understudy.agent.api.BootImages;
import io.understudy.agent.api.FenceResult;
import io.understudy.agent.api.Hold;
import io.understudy.agent.api.PrimaryStatus;
import io.understudy.agent.api.Protection;
import io.understudy.agent.api.ReplicaInfo;
import io.understudy.agent.api.StageResult;
import io.understudy.scheduler.metrics.ControllerMetrics;
import io.understudy.scheduler.stats.AgentDirectory;
import java.io.IOException;
import java.net.URI;
import java.util.Optional;
import java.util.UUID;

/** The moves' agents: the controller's agent clients, one per compute host, each failed request counted. */
public final class DirectoryAgents implements MoveAgents {

    private static final int NOT_FOUND = 404;

    private final AgentDirectory directory;
    private final ControllerMetrics metrics;

    public DirectoryAgents(AgentDirectory directory, ControllerMetrics metrics) {
        this.directory = requireNonNull(directory, "directory is null");
        this.metrics = requireNonNull(metrics, "metrics is null");
    }

    @Override
    public URI url(String host) {
        return directory.agent(host).base();
    }

    @Override
    public PrimaryStatus hold(String host, UUID vm, Hold hold) throws IOException {
        return ask(host, "hold", agent -> agent.hold(vm, hold));
    }

    @Override
    public void release(String host, UUID vm) throws IOException {
        ask(host, "release", agent -> {
            agent.release(vm);
            return null;
        });
    }

    @Override
    public StageResult stage(String host, UUID vm, BootImages boot) throws IOException {
        return ask(host, "stage", agent -> agent.stage(vm, false, boot));
    }

    @Override
    public void protect(String host, Protection protection) throws IOException {
        ask(host, "protect", agent -> {
            agent.protect(protection);
            return null;
        });
    }

    @Override
    public void unprotect(String host, UUID vm) throws IOException {
        ask(host, "unprotect", agent -> removing(() -> agent.unprotect(vm)));
    }

    @Override
    public void deleteReplica(String host, UUID vm) throws IOException {
        ask(host, "delete_replica", agent -> removing(() -> agent.deleteReplica(vm)));
    }

    @Override
    public Optional<ReplicaInfo> replica(String host, UUID vm) throws IOException {
        return ask(host, "replica", agent -> {
            try {
                return Optional.of(agent.replica(vm));
            } catch (AgentException e) {
                if (e.status() == NOT_FOUND) {
                    return Optional.empty();
                }
                throw e;
            }
        });
    }

    @Override
    public FenceResult destroyDomain(String host, UUID vm) throws IOException {
        return ask(host, "destroy_domain", agent -> agent.destroyDomain(vm));
    }

    @Override
    public boolean answers(String host) {
        try {
            ask(host, "health", AgentClient::health);
            return true;
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    /** Asks HOST's agent; a failure is counted under REQUEST and thrown on. */
    private <T> T ask(String host, String request, Call<T> call) throws IOException {
        try {
            return call.on(directory.agent(host));
        } catch (IOException | RuntimeException e) {
            metrics.agentError(host, request);
            throw e;
        }
    }

    /** A removal: the agent's 404 says there is nothing to remove, which is what was asked for. */
    private static Void removing(Removal removal) throws IOException {
        try {
            removal.run();
        } catch (AgentException e) {
            if (e.status() != NOT_FOUND) {
                throw e;
            }
        }
        return null;
    }

    @FunctionalInterface
    private interface Call<T> {
        T on(AgentClient agent) throws IOException;
    }

    @FunctionalInterface
    private interface Removal {
        void run() throws IOException;
    }
}
