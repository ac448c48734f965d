package io.understudy.scheduler.moves;

import static java.util.Objects.requireNonNull;

import io.understudy.agent.api.BootImages;
import io.understudy.agent.api.Hold;
import io.understudy.agent.api.PrimaryStatus;
import io.understudy.agent.api.StageResult;
import io.understudy.nova.action.Fenced;
import io.understudy.nova.action.ForceDown;
import io.understudy.nova.action.MoveResult;
import io.understudy.nova.action.MoveResult.Outcome;
import io.understudy.nova.action.ServiceChange;
import io.understudy.nova.state.ComputeService;
import io.understudy.nova.state.Server;
import io.understudy.scheduler.moves.StepResult.Result;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.function.Supplier;

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
    private final Duration holdFor;
    private final Clock clock;
    /** Live migrations whose reads of Nova began as they were begun, by VM, for their MIGRATE step. */
    private final Map<UUID, Prepared> prepared = new ConcurrentHashMap<>();

    /** A live migration begun AT: its hold of the old primary's rounds under way, Nova's reads too. */
    private record Prepared(String target, Instant at, CompletableFuture<StepResult> hold, Supplier<MoveResult> rest) {}

    /** Where a move's first requests run while the move is journaled. */
    private static final Executor BEFOREHAND = task -> {
        Thread t = new Thread(task, "move-prepare");
        t.setDaemon(true);
        t.start();
    };

    /** How long reads begun with a move stay good for its MIGRATE step. */
    static final Duration PREPARED_FOR = Duration.ofSeconds(10);

    /**
     * @param forcedDown where the hosts a failover forced down are recorded, to be brought back
     * @param finalSync whether a live migration starts with a replication round on the old primary
     * @param holdFor how long the old primary's rounds stay held for a live migration if no controller
     *     ends the hold
     */
    public MoveSteps(NovaMoves nova, MoveAgents agents, Fencers fencers, Designator designator,
            ForcedDownHosts forcedDown, boolean finalSync, Duration holdFor, Clock clock) {
        this.nova = requireNonNull(nova, "nova is null");
        this.agents = requireNonNull(agents, "agents is null");
        this.fencers = requireNonNull(fencers, "fencers is null");
        this.designator = requireNonNull(designator, "designator is null");
        this.forcedDown = requireNonNull(forcedDown, "forcedDown is null");
        this.finalSync = finalSync;
        this.holdFor = requireNonNull(holdFor, "holdFor is null");
        this.clock = requireNonNull(clock, "clock is null");
    }

    /**
     * Begins the first requests of PLAN, claimed and about to be journaled, so that they run while
     * it is: a live migration's hold of the old primary's rounds (its SYNC step waits for it) and
     * its reads of the server and its migration records (its MIGRATE step starts from them). Both
     * ask nothing of Nova; a hold of a move that is not carried out ends with its lease, or at
     * once through {@link #abandon}.
     */
    public void prepare(MovePlan plan) {
        if (plan.kind() == MoveKind.LIVE_MIGRATION) {
            CompletableFuture<StepResult> hold = CompletableFuture.supplyAsync(() -> sync(plan), BEFOREHAND);
            prepared.put(plan.vm(), new Prepared(plan.target(), clock.instant(), hold,
                    nova.liveMigration(plan.vm(), plan.target())));
        }
    }

    /** PLAN was prepared but is not carried out (its journal refused it): the rounds it held go on. */
    public void abandon(MovePlan plan) {
        Prepared p = prepared.remove(plan.vm());
        if (p != null) {
            p.hold().thenRun(() -> {
                try {
                    agents.release(plan.source(), plan.vm());
                } catch (IOException | RuntimeException e) {
                    // Its lease ends it.
                }
            });
        }
    }

    /** Runs MOVE's next step (followed, not asked anew, when the move says it was attempted before). */
    public StepResult run(MoveState move) {
        MovePlan plan = move.plan();
        Step step = move.nextStep().orElseThrow(() -> new IllegalArgumentException(plan.describe() + " has ended"));
        return switch (step) {
            case SYNC -> fresh(plan).map(p -> p.hold().join()).orElseGet(() -> sync(plan));
            case MIGRATE -> released(plan, move.attempted() ? followMigration(plan) : nova(plan,
                    liveMigration(plan).get(), false));
            case FENCE -> fence(plan);
            case STAGE -> stage(plan);
            // The bridge follows an evacuation Nova already has, and never asks a second one.
            case EVACUATE -> nova(plan, nova.evacuate(plan.vm(), plan.target(), move.fence().orElseThrow(
                    () -> new IllegalStateException(plan.describe() + ": no fence proof journaled before evacuating"))),
                    true);
            case FORCE_DOWN -> forceDown(plan);
            case REDESIGNATE -> redesignate(plan);
        };
    }

    /**
     * Holds the old primary's rounds before Nova is asked, after a last round unless
     * {@code moves.finalSync} is off: libvirt's migration must not meet a round's backup job. Nova's
     * migration monitor reads the domain's job and fails the migration on the backup's ("backup
     * job data missing"), leaving the server in ERROR. Nova's block migration carries every write
     * the guest makes, so the last round only freshens the holders. An agent that does not answer
     * only warns: it runs no round either.
     */
    private StepResult sync(MovePlan plan) {
        long began = System.nanoTime();
        try {
            PrimaryStatus status = agents.hold(plan.source(), plan.vm(), new Hold(holdFor, finalSync));
            return StepResult.agents(Result.DONE, "rounds on " + plan.source() + " held"
                    + (finalSync ? " after a last round (version " + status.version() + ")" : " (moves.finalSync off)")
                    + " in " + (System.nanoTime() - began) / 1_000_000 + " ms", 1);
        } catch (IOException | RuntimeException e) {
            return StepResult.agents(Result.WARNED, "the rounds on " + plan.source() + " could not be held ("
                    + e.getMessage() + "); the live migration goes on: Nova fails it only if a round meets it", 1);
        }
    }

    /** The live migration of PLAN, from the reads {@link #prepare} began if they are recent, else anew. */
    private Supplier<MoveResult> liveMigration(MovePlan plan) {
        Optional<Prepared> p = fresh(plan);
        prepared.remove(plan.vm());
        return p.map(Prepared::rest).orElseGet(() -> nova.liveMigration(plan.vm(), plan.target()));
    }

    /** What {@link #prepare} began for PLAN, if it is recent. */
    private Optional<Prepared> fresh(MovePlan plan) {
        return Optional.ofNullable(prepared.get(plan.vm())).filter(p -> p.target().equals(plan.target())
                && Duration.between(p.at(), clock.instant()).compareTo(PREPARED_FOR) <= 0);
    }

    /**
     * MIGRATED, and the old primary's rounds released when the move ended without the VM on the
     * target. A move that lands flips the roles next, which ends the hold; one still in flight
     * (PENDING) keeps it, as Nova may still be migrating.
     */
    private StepResult released(MovePlan plan, StepResult migrated) {
        if (migrated.result() != Result.STOPPED && migrated.result() != Result.NEEDS_OPERATOR) {
            return migrated;
        }
        String note;
        try {
            agents.release(plan.source(), plan.vm());
            note = "; rounds on " + plan.source() + " released";
        } catch (IOException | RuntimeException e) {
            note = "; rounds on " + plan.source() + " stay held until the hold's lease ends (" + e.getMessage() + ")";
        }
        return new StepResult(migrated.result(), migrated.note() + note, migrated.nova(), migrated.novaRequests(),
                migrated.agentRequests() + 1, migrated.requestIds(), migrated.fence());
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

    /**
     * Fenced, the source need not be seen down first; Nova evacuates only from a compute it sees
     * down. Disabled too, with a reason naming the move, for operators who list the services; a
     * service disabled already keeps its reason (an operator's, left alone when it is brought back).
     */
    private StepResult forceDown(MovePlan plan) {
        Instant at = clock.instant();
        ServiceChange change = nova.forceDown(plan.source(), ForceDown.reason(plan.describe(), at));
        if (change.done()) {
            // Forced down already (UNCHANGED) by a failover of another VM of it, or by someone else:
            // recorded all the same, so that it is brought back once it returns.
            forcedDown.forcedDown(plan.source(), plan.vm(), at, change.before().map(ComputeService::status));
        }
        return new StepResult(change.done() ? Result.DONE : Result.STOPPED, change.done()
                ? plan.source() + "'s nova-compute " + change.outcome().name().toLowerCase(java.util.Locale.ROOT)
                        + " forced down: " + change.reason()
                : BLOCKED + plan.source() + "'s nova-compute not forced down: " + change.reason(), Duration.ZERO,
                change.requests(), 0, change.requestIds(), Optional.empty());
    }

    private StepResult redesignate(MovePlan plan) {
        List<String> secondaries = plan.newSecondaries();
        Designator.Delivery delivery = designator.reassign(plan.vm(), plan.target(), secondaries, plan.interval());
        String roles = plan.target() + " primary, secondaries " + secondaries;
        return StepResult.agents(delivery.failed().isEmpty() ? Result.DONE : Result.WARNED, delivery.failed().isEmpty()
                ? roles : roles + "; not delivered, sent again when they answer: " + delivery.failed(),
                delivery.requests());
    }
}
