package io.understudy.agent.resources;

import io.understudy.agent.config.AgentConfig;
import io.understudy.agent.replica.Replica;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import java.io.IOException;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Squashes a replica's chain in the background once it grows past {@code replication.squashAbove}
 * layers: receipt never waits for it, and one squash per replica runs at a time.
 */
@Singleton
public final class Housekeeping implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Housekeeping.class);

    private final int squashAbove;
    private final ExecutorService worker = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "understudy-squash");
        t.setDaemon(true);
        return t;
    });
    private final Set<UUID> pending = ConcurrentHashMap.newKeySet();

    @Inject
    public Housekeeping(AgentConfig config) {
        this.squashAbove = config.replication().squashAbove();
    }

    public void squashIfLong(Replica replica) {
        UUID vm = replica.state().vm();
        if (replica.state().chain().size() <= squashAbove || !pending.add(vm)) {
            return;
        }
        worker.execute(() -> {
            try {
                int before = replica.state().chain().size();
                if (replica.squash(squashAbove)) {
                    LOG.info("replica {}: squashed {} layers into {}", vm, before, replica.state().chain().size());
                }
            } catch (IOException | RuntimeException e) {
                LOG.warn("replica {}: squash failed, the chain stays as it was: {}", vm, e.getMessage());
            } finally {
                pending.remove(vm);
            }
        });
    }

    @Override
    public void close() {
        worker.shutdownNow();
    }
}
