package io.understudy.scheduler.moves;

import static java.util.Objects.requireNonNull;

import io.understudy.agent.api.BootImages;
import io.understudy.agent.api.PrimaryStatus;
import io.understudy.agent.api.ReplicaInfo;
import io.understudy.agent.api.StageResult;
import io.understudy.nova.action.Fenced;
import io.understudy.nova.action.MoveResult;
import io.understudy.nova.action.MoveResult.Outcome;
import io.understudy.nova.action.ServerMetadata;
import io.understudy.nova.action.ServiceChange;
import io.understudy.nova.state.Server;
import io.understudy.scheduler.moves.StepResult.Result;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Runs one step of a move against Nova (through the bridge) and the agents, and says how it
 * ended. Which step comes next is {@link MoveState}'s business; journaling is {@link Mover}'s.
 */
public final class MoveSteps {

    /** How a failover stopped before Nova was asked to move the VM begins its note. */
    static final String BLOCKED = "failover blocked: ";

    private final NovaMoves nova;
    private final MoveAgents agents;
    private final Fencers fencers;
    private final Designator designator;
    private final ForcedDownHosts forcedDown;
    private final boolean finalSync;
    private final Clock clock;
    /** The final syncs started and not yet joined, by VM: each runs beside its move's live migration. */
    private final Map<UUID, CompletableFuture<StepResult>> syncing = new ConcurrentHashMap<>();

    /**
     * @param forcedDown where the hosts a failover forced down are recorded, to be brought back
     * @param finalSync whether a live migration starts with a replication round on the old primary
     */
    public MoveSteps(NovaMoves nova, MoveAgents agents, Fencers fencers, Designator designator,
            ForcedDownHosts forcedDown, boolean finalSync, Clock clock) {
        this.nova = requireNonNull(nova, "nova is null");
        this.agents = requireNonNull(agents, "agents is null");
        this.fencers = requireNonNull(fencers, "fencers is null");
        this.designator = requireNonNull(designator, "designator is null");
        this.forcedDown = requireNonNull(forcedDown, "forcedDown is null");
        this.finalSync = finalSync;
        this.clock = requireNonNull(clock, "clock is null");
    }

    /** Runs MOVE's next step (followed, not asked anew, when the move says it was attempted before). */
    public StepResult run(MoveState move) {
        MovePlan plan = move.plan();
        Step step = move.nextStep().orElseThrow(() -> new IllegalArgumentException(plan.describe() + " has ended"));
        return switch (step) {
            case SYNC -> sync(plan);
            case MIGRATE -> synced(plan, move.attempted() ? followMigration(plan) : nova(plan,
                    nova.liveMigrate(plan.vm(), plan.target()), false));
            case FENCE -> fence(plan);
            case STAGE -> stage(plan);
            // The bridge follows an evacuation Nova already has, and never asks a second one.
            case EVACUATE -> nova(plan, nova.evacuate(plan.vm(), plan.target(), move.fence().orElseThrow(
                    () -> new IllegalStateException(plan.describe() + ": no fence proof journaled before evacuating"))),
                    true);
            case FORCE_DOWN -> forceDown(plan);
            case REDESIGNATE -> redesignate(plan);
            case PUBLISH -> publish(plan);
        };
    }

    /**
     * Starts the final sync and returns at once: Nova's block migration carries every write the
     * guest makes, so the round is not needed for the move, only to freshen the holders (the
     * target's replica the new primary starts from, and the holders that stay). It runs beside
     * Nova's part, which lasts seconds, and is joined when that ends ({@link #synced}), before the
     * roles flip.
     */
    private StepResult sync(MovePlan plan) {
        if (!finalSync) {
            return StepResult.agents(Result.DONE, "final sync is off (moves.finalSync)", 0);
        }
        syncing.put(plan.vm(), Beside.start("final-sync-" + plan.vm(), () -> finalSync(plan)));
        return StepResult.agents(Result.DONE, "round on " + plan.source() + " started, beside the live migration", 0);
    }

    private StepResult finalSync(MovePlan plan) {
        long began = System.nanoTime();
        try {
            PrimaryStatus status = agents.sync(plan.source(), plan.vm());
            return StepResult.agents(Result.DONE, "round on " + plan.source() + " made version " + status.version()
                    + " in " + (System.nanoTime() - began) / 1_000_000 + " ms", 1);
        } catch (IOException | RuntimeException e) {
            return StepResult.agents(Result.WARNED, "final sync on " + plan.source() + " failed (" + e.getMessage()
                    + "); the live migration went on: Nova copies the disk itself", 1);
        }
    }

    /**
     * MIGRATED with the final sync started beside it, once that ended too: the roles must not flip
     * while the old primary's round still sends to the holders. A sync that failed only warns. No
     * sync is waited for when none was started here (it is off, or a restarted controller follows
     * the migration: the round, if any, ended with the controller that asked for it or on its own).
     */
    private StepResult synced(MovePlan plan, StepResult migrated) {
        CompletableFuture<StepResult> round = syncing.remove(plan.vm());
        if (round == null) {
            return migrated;
        }
        StepResult sync = round.join();
        Result result = migrated.result() == Result.DONE ? sync.result() : migrated.result();
        return new StepResult(result, migrated.note() + "; final sync: " + sync.note(), migrated.nova(),
                migrated.novaRequests(), migrated.agentRequests() + sync.agentRequests(), migrated.requestIds(),
                migrated.fence());
    }

    /**
     * The live migration was asked before (a restart, or Nova's answer unresolved): follow what
     * Nova has; if it has nothing in flight, judge where the server is rather than ask again.
     */
    private StepResult followMigration(MovePlan plan) {
        Optional<MoveResult> followed = nova.followLiveMigration(plan.vm());
        if (followed.isPresent()) {
            return nova(plan, followed.get(), false);
        }
        Optional<Server> server = nova.server(plan.vm());
        String seen = server.map(Server::describe).orElse("unknown to Nova");
        if (server.filter(s -> s.settledOn(plan.target())).isPresent()) {
            return new StepResult(Result.DONE, "the live migration asked before ended: " + seen, Duration.ZERO, 2,
                    0, List.of(), Optional.empty());
        }
        if (server.filter(s -> s.settledOn(plan.source())).isPresent()) {
            return new StepResult(Result.STOPPED, "the live migration asked before ended without moving it: " + seen,
                    Duration.ZERO, 2, 0, List.of(), Optional.empty());
        }
        return new StepResult(Result.NEEDS_OPERATOR, "the live migration asked before ended and the server is "
                + seen, Duration.ZERO, 2, 0, List.of(), Optional.empty());
    }

    /** What the bridge's result of a live migration or evacuation means for the move. */
    private static StepResult nova(MovePlan plan, MoveResult r, boolean evacuation) {
        Result result = switch (r.outcome()) {
            // Landed elsewhere: a move someone else asked for (the bridge follows what Nova has);
            // this one's roles and metadata would be wrong.
            case COMPLETED -> r.target().equals(plan.target()) ? Result.DONE : Result.NEEDS_OPERATOR;
            case REFUSED, ABORTED, NOT_FENCED -> Result.STOPPED;
            // An evacuation elsewhere, in flight or done, is someone else's recovery of this VM.
            case CONFLICT -> evacuation ? Result.NEEDS_OPERATOR : Result.STOPPED;
            case FAILED -> Result.NEEDS_OPERATOR;
            case UNRESOLVED -> Result.PENDING;
        };
        String note = r.outcome() + ": " + r.reason() + (r.resumed() ? " (followed the move Nova had)" : "")
                + (result == Result.NEEDS_OPERATOR && r.outcome() == Outcome.COMPLETED
                        ? "; Nova put it on " + r.target() + ", not " + plan.target() + ": not this move's doing" : "");
        // Nova's share: answering the request (its API checks synchronously) and carrying it out.
        return new StepResult(result, note, r.timing().request().plus(r.timing().nova()), r.requests(), 0,
                r.requestIds(), Optional.empty());
    }

    private StepResult fence(MovePlan plan) {
        Fencer.Fence fence = fencers.fence(plan.source(), plan.vm());
        Optional<Fenced> proof = fence.proof();
        return new StepResult(proof.isPresent() ? Result.DONE : Result.STOPPED,
                proof.isPresent() ? fence.note() : BLOCKED + "fence failed: " + fence.note(),
                Duration.ZERO, fence.novaRequests(), fence.agentRequests(), List.of(), proof);
    }

    /**
     * Has the target stage its replica, and put the copies it keeps of the VM's kernel and ramdisk
     * where Nova looks before it fetches them from Glance (Nova names them: one read of the server).
     * Nova unread, the disk is staged all the same and Nova fetches them.
     */
    private StepResult stage(MovePlan plan) {
        BootImages boot;
        try {
            boot = nova.server(plan.vm()).map(s -> new BootImages(s.kernelImage().orElse(null),
                    s.ramdiskImage().orElse(null))).orElse(BootImages.NONE);
        } catch (RuntimeException e) {
            boot = BootImages.NONE;
        }
        try {
            StageResult staged = agents.stage(plan.target(), plan.vm(), boot);
            return new StepResult(Result.DONE, "replica version " + staged.version() + " staged as " + staged.disk()
                    + " on " + plan.target() + (staged.bootFiles().isEmpty() ? ""
                            : ", its kernel and ramdisk in Nova's image cache " + staged.bootFiles()),
                    Duration.ZERO, 1, 1, List.of(), Optional.empty());
        } catch (IOException | RuntimeException e) {
            return new StepResult(Result.STOPPED, BLOCKED + "staging on " + plan.target() + " failed: "
                    + e.getMessage(), Duration.ZERO, 1, 1, List.of(), Optional.empty());
        }
    }

    /** Fenced, the source need not be seen down first; Nova evacuates only from a compute it sees down. */
    private StepResult forceDown(MovePlan plan) {
        ServiceChange change = nova.forceDown(plan.source());
        if (change.done()) {
            // Forced down already (UNCHANGED) by a failover of another VM of it, or by someone else:
            // recorded all the same, so that it is brought back once it returns.
            forcedDown.forcedDown(plan.source(), plan.vm(), clock.instant());
        }
        return new StepResult(change.done() ? Result.DONE : Result.STOPPED, change.done()
                ? plan.source() + "'s nova-compute " + change.outcome().name().toLowerCase(java.util.Locale.ROOT)
                        + " forced down"
                : BLOCKED + plan.source() + "'s nova-compute not forced down: " + change.reason(), Duration.ZERO,
                change.requests(), 0, change.requestIds(), Optional.empty());
    }

    private StepResult redesignate(MovePlan plan) {
        List<String> secondaries = plan.newSecondaries();
        Designator.Delivery delivery = designator.assign(plan.vm(), plan.target(), secondaries, plan.interval(), true);
        String roles = plan.target() + " primary, secondaries " + secondaries;
        return StepResult.agents(delivery.failed().isEmpty() ? Result.DONE : Result.WARNED, delivery.failed().isEmpty()
                ? roles : roles + "; not delivered, sent again when they answer: " + delivery.failed(),
                delivery.requests());
    }

    private StepResult publish(MovePlan plan) {
        // Every holder asked at once: the move waits for the slowest answer, not their sum.
        Map<String, CompletableFuture<Optional<ReplicaInfo>>> asking = new LinkedHashMap<>();
        for (String host : plan.newSecondaries()) {
            asking.put(host, Beside.start("replica-of-" + host, () -> agents.replica(host, plan.vm())));
        }
        List<ServerMetadata.Replica> replicas = new ArrayList<>();
        List<String> silent = new ArrayList<>();
        asking.forEach((host, answer) -> {
            try {
                answer.join().map(ReplicaInfo::lagSeconds).filter(lag -> lag >= 0).ifPresent(lag -> replicas.add(
                        new ServerMetadata.Replica(host, Duration.ofMillis(Math.round(lag * 1000)))));
            } catch (CompletionException e) {
                silent.add(host + ": " + e.getCause().getMessage());
            }
        });
        UUID vm = plan.vm();
        try {
            Duration answered = nova.publish(vm, "primary on " + plan.target(), replicas);
            return new StepResult(Result.DONE, "understudy:role primary on " + plan.target() + ", replicas " + replicas
                    + (silent.isEmpty() ? "" : " (no lag from " + silent + ")"), answered, 1, asking.size(),
                    List.of(), Optional.empty());
        } catch (RuntimeException e) {
            return new StepResult(Result.WARNED, "metadata not written: " + e.getMessage(), Duration.ZERO, 1,
                    asking.size(), List.of(), Optional.empty());
        }
    }
}
