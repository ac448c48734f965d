package io.understudy.scheduler.moves;

import static java.util.Objects.requireNonNull;

import com.google.inject.AbstractModule;
import com.google.inject.Provides;
import com.google.inject.Singleton;
import io.understudy.nova.client.NovaClient;
import io.understudy.scheduler.config.FenceMethod;
import io.understudy.scheduler.config.MovesConfig;
import io.understudy.scheduler.placement.Assignments;
import io.understudy.scheduler.round.MoveExecutor;
import io.understudy.scheduler.round.RulesSource;
import io.understudy.scheduler.stats.AgentDirectory;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Moves: the bridge's actions, the agents, the fencers, the journal ({@code DATADIR/moves}) and
 * the record of assignments ({@code DATADIR/assignments.json}), and what the rounds act through.
 */
public final class MovesModule extends AbstractModule {

    private final MovesConfig config;
    private final Path dataDir;

    public MovesModule(MovesConfig config, Path dataDir) {
        this.config = requireNonNull(config, "config is null");
        this.dataDir = requireNonNull(dataDir, "dataDir is null");
    }

    @Provides
    @Singleton
    NovaMoves nova(NovaClient client) {
        return new BridgeNova(client, config.actions());
    }

    @Provides
    @Singleton
    MoveAgents agents(AgentDirectory directory) {
        return new DirectoryAgents(directory);
    }

    @Provides
    @Singleton
    Journal journal() {
        return new FileJournal(dataDir.resolve("moves"));
    }

    @Provides
    @Singleton
    Fencers fencers(NovaMoves nova, Clock clock) {
        Map<String, Fencer> byHost = new TreeMap<>();
        config.fences().forEach((host, method) -> byHost.put(host, fencer(method, nova, clock)));
        return new Fencers(byHost, fencer(config.defaultFence(), nova, clock));
    }

    private Fencer fencer(FenceMethod method, NovaMoves nova, Clock clock) {
        return switch (method) {
            case NOVA_DOWN -> new NovaDownFencer(nova, config.actions().serviceDownTime(), config.actions().polling(),
                    clock);
        };
    }

    @Provides
    @Singleton
    Designator designator(MoveAgents agents) {
        return new Designator(agents, dataDir.resolve("assignments.json"));
    }

    @Provides
    @Singleton
    Mover mover(NovaMoves nova, MoveAgents agents, Fencers fencers, Designator designator, Journal journal,
            Clock clock) {
        return new Mover(new MoveSteps(nova, agents, fencers, designator, config.finalSync()), journal, clock);
    }

    @Provides
    @Singleton
    MoveExecutor executor(Mover mover, Journal journal, RulesSource rules, Clock clock) {
        AtomicInteger n = new AtomicInteger();
        ExecutorService pool = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "move-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        return new ControllerMoves(mover, journal, () -> rules.current().policy().replicationInterval(), pool, clock);
    }

    @Provides
    @Singleton
    ManualMoves manual(NovaMoves nova, MoveAgents agents, Mover mover, Journal journal) {
        return new ManualMoves(nova, agents, mover, journal);
    }

    @Provides
    @Singleton
    Assignments assignments(Designator designator, Journal journal) {
        return new PlacementAssignments(designator, journal);
    }
}
