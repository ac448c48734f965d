package io.understudy.scheduler.moves;

import static java.util.Objects.requireNonNull;

import io.understudy.agent.api.AgentException;
import io.understudy.agent.api.BootImages;
import io.understudy.agent.api.FenceResult;
import io.understudy.agent.api.Hold;
import io.understudy.agent.api.PrimaryStatus;
import io.understudy.agent.api.Protection;
import io.understudy.agent.api.ReplicaInfo;
import io.understudy.agent.api.StageResult;
import io.understudy.scheduler.stats.AgentDirectory;
import java.io.IOException;
import java.net.URI;
import java.util.Optional;
import java.util.UUID;

/** The moves' agents: the controller's agent clients, one per compute host. */
public final class DirectoryAgents implements MoveAgents {

    private static final int NOT_FOUND = 404;

    private final AgentDirectory directory;

    public DirectoryAgents(AgentDirectory directory) {
        this.directory = requireNonNull(directory, "directory is null");
    }

    @Override
    public URI url(String host) {
        return directory.agent(host).base();
    }

    @Override
    public PrimaryStatus hold(String host, UUID vm, Hold hold) throws IOException {
        return directory.agent(host).hold(vm, hold);
    }

    @Override
    public void release(String host, UUID vm) throws IOException {
        directory.agent(host).release(vm);
    }

    @Override
    public StageResult stage(String host, UUID vm, BootImages boot) throws IOException {
        return directory.agent(host).stage(vm, false, boot);
    }

    @Override
    public void protect(String host, Protection protection) throws IOException {
        directory.agent(host).protect(protection);
    }

    @Override
    public void unprotect(String host, UUID vm) throws IOException {
        removing(() -> directory.agent(host).unprotect(vm));
    }

    @Override
    public void deleteReplica(String host, UUID vm) throws IOException {
        removing(() -> directory.agent(host).deleteReplica(vm));
    }

    @Override
    public Optional<ReplicaInfo> replica(String host, UUID vm) throws IOException {
        try {
            return Optional.of(directory.agent(host).replica(vm));
        } catch (AgentException e) {
            if (e.status() == NOT_FOUND) {
                return Optional.empty();
            }
            throw e;
        }
    }

    @Override
    public FenceResult destroyDomain(String host, UUID vm) throws IOException {
        return directory.agent(host).destroyDomain(vm);
    }

    @Override
    public boolean answers(String host) {
        try {
            directory.agent(host).health();
            return true;
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    /** A removal: the agent's 404 says there is nothing to remove, which is what was asked for. */
    private static void removing(Removal removal) throws IOException {
        try {
            removal.run();
        } catch (AgentException e) {
            if (e.status() != NOT_FOUND) {
                throw e;
            }
        }
    }

    @FunctionalInterface
    private interface Removal {
        void run() throws IOException;
    }
}
