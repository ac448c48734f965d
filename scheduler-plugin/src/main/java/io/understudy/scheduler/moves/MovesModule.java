package io.understudy.scheduler.moves;

import static java.util.Objects.requireNonNull;

import com.google.inject.AbstractModule;
import com.google.inject.Provides;
import com.google.inject.Singleton;
import io.understudy.nova.client.NovaCalls;
import io.understudy.scheduler.bmc.Bmc;
import io.understudy.scheduler.bmc.Bmcs;
import io.understudy.scheduler.bmc.PowerChannel;
import io.understudy.scheduler.config.FenceConfig;
import io.understudy.scheduler.config.MovesConfig;
import io.understudy.scheduler.metrics.ControllerMetrics;
import io.understudy.scheduler.placement.Assignments;
import io.understudy.scheduler.records.Records;
import io.understudy.scheduler.round.FailedHosts;
import io.understudy.scheduler.round.MoveExecutor;
import io.understudy.scheduler.round.RulesSource;
import io.understudy.scheduler.stats.AgentDirectory;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Moves: the bridge's actions, the agents, the fencers and the hosts' BMCs, the journal, operators'
 * fence confirmations, the record of assignments and of the VMs Nova deleted, the hosts failovers
 * forced down and bringing them back (all kept in the {@link Records} every controller shares),
 * and what the rounds act through.
 */
public final class MovesModule extends AbstractModule {

    /** Between reads of a BMC's power state while a host powers off. */
    private static final Duration POWER_POLL = Duration.ofMillis(500);

    private final MovesConfig config;
    private final Duration releaseDeletedAfter;

    /** @param releaseDeletedAfter how long a protected VM is missing from Nova's listing before it is released */
    public MovesModule(MovesConfig config, Duration releaseDeletedAfter) {
        this.config = requireNonNull(config, "config is null");
        this.releaseDeletedAfter = requireNonNull(releaseDeletedAfter, "releaseDeletedAfter is null");
    }

    @Provides
    @Singleton
    NovaMoves nova(NovaCalls client) {
        return new BridgeNova(client, config.actions());
    }

    @Provides
    @Singleton
    MoveAgents agents(AgentDirectory directory, ControllerMetrics metrics) {
        return new DirectoryAgents(directory, metrics);
    }

    @Provides
    @Singleton
    Journal journal(Records records) {
        return new RecordJournal(records);
    }

    /** The BMCs of the hosts fenced by redfish, their credentials and CAs read now: a bad file stops the start. */
    @Provides
    @Singleton
    Bmcs bmcs() {
        Map<String, Bmc> byHost = new TreeMap<>();
        config.fences().forEach((host, fence) -> {
            if (fence instanceof FenceConfig.Redfish redfish) {
                try {
                    byHost.put(host, Bmc.of(redfish));
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException("moves.fencing.hosts." + host + ": " + e.getMessage(), e);
                }
            }
        });
        return new Bmcs(byHost);
    }

    /** The failure detector's second channel: what the BMCs report. */
    @Provides
    @Singleton
    PowerChannel power(Bmcs bmcs) {
        return bmcs;
    }

    @Provides
    @Singleton
    FenceConfirmations confirmations(Records records) {
        return new FenceConfirmations(records, config.confirmedFor());
    }

    @Provides
    @Singleton
    ManualFences manualFences(NovaMoves nova, MoveAgents agents, FenceConfirmations confirmations, Clock clock) {
        return new ManualFences(nova, agents, confirmations, clock);
    }

    @Provides
    @Singleton
    Fencers fencers(NovaMoves nova, MoveAgents agents, Bmcs bmcs, FenceConfirmations confirmations,
            ControllerMetrics metrics, Clock clock) {
        Map<String, Fencer> byHost = new TreeMap<>();
        config.fences().forEach((host, fence) -> byHost.put(host, counted(fence, nova, agents, bmcs, metrics, clock)));
        return new Fencers(byHost, counted(config.defaultFence(), nova, agents, bmcs, metrics, clock), confirmations,
                agents, metrics, clock);
    }

    /** The fencer FENCE configures, each fence it makes counted under its method's name. */
    private Fencer counted(FenceConfig fence, NovaMoves nova, MoveAgents agents, Bmcs bmcs, ControllerMetrics metrics,
            Clock clock) {
        return new CountedFencer(fence.method().key(), fencer(fence, nova, agents, bmcs, clock), metrics);
    }

    private Fencer fencer(FenceConfig fence, NovaMoves nova, MoveAgents agents, Bmcs bmcs, Clock clock) {
        return switch (fence.method()) {
            case NOVA_DOWN -> new AgentChecked(new NovaDownFencer(nova, config.serviceDownTime(),
                    config.actions().polling(), clock), agents, clock);
            case AGENT -> new AgentFencer(agents, clock);
            // A powered-off host's agent is silent; asking would only add its connect timeout to every failover.
            case REDFISH -> new RedfishFencer(bmcs, ((FenceConfig.Redfish) fence).timeout(), POWER_POLL, clock);
            case PROCESS -> new AgentChecked(new ProcessFencer(((FenceConfig.Process) fence).command(),
                    ((FenceConfig.Process) fence).timeout(), clock), agents, clock);
        };
    }

    @Provides
    @Singleton
    Designator designator(MoveAgents agents, Records records) {
        return new Designator(agents, records);
    }

    @Provides
    @Singleton
    Mover mover(NovaMoves nova, MoveAgents agents, Fencers fencers, Designator designator, ForcedDownHosts forcedDown,
            Journal journal, ControllerMetrics metrics, Clock clock) {
        return new Mover(new MoveSteps(nova, agents, fencers, designator, forcedDown, config.finalSync(), config.holdFor(), clock),
                journal, metrics, clock);
    }

    @Provides
    @Singleton
    ForcedDownHosts forcedDown(Records records) {
        return new ForcedDownHosts(records);
    }

    @Provides
    @Singleton
    BringBack bringBack(ForcedDownHosts forcedDown, NovaMoves nova, MoveAgents agents, Designator designator,
            Journal journal, FenceConfirmations confirmations, FailedHosts failed, Clock clock) {
        return new BringBack(forcedDown, nova, agents, designator, journal, confirmations, failed, clock);
    }

    @Provides
    @Singleton
    MoveExecutor executor(Mover mover, Journal journal, BringBack bringBack, RulesSource rules, Clock clock) {
        AtomicInteger n = new AtomicInteger();
        ExecutorService pool = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "move-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        return new ControllerMoves(mover, journal, bringBack, () -> rules.current().policy().replicationInterval(),
                pool, clock);
    }

    @Provides
    @Singleton
    ManualMoves manual(NovaMoves nova, MoveAgents agents, Mover mover, Journal journal) {
        return new ManualMoves(nova, agents, mover, journal);
    }

    @Provides
    @Singleton
    Assignments assignments(Designator designator, Journal journal, ForcedDownHosts forcedDown, MoveAgents agents,
            Records records, Clock clock) {
        return new PlacementAssignments(designator, journal, forcedDown,
                new GoneVms(designator, agents, records, releaseDeletedAfter, clock));
    }
}
