package io.understudy.scheduler.moves;

import static java.util.Objects.requireNonNull;

import io.understudy.scheduler.decide.Candidate;
import io.understudy.scheduler.decide.Decision;
import io.understudy.scheduler.round.MoveExecutor;
import io.understudy.scheduler.rules.MoveAction;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;

/**
 * The rounds' executor: a MOVE decision becomes a move plan and runs through the {@link Mover},
 * the moves of one round at once (the round waits for them, so that a round, and with standby
 * controllers one controller, acts at a time); moves left in flight are followed first, and hosts
 * that failovers forced down are brought back once they return ({@link BringBack}). A round's moves
 * are claimed from the claims as its settling left them, before it read Nova: a VM another
 * controller moved since is not moved again on this round's older view of it.
 */
public final class ControllerMoves implements MoveExecutor {

    private final Mover mover;
    private final Journal journal;
    private final BringBack bringBack;
    private final Supplier<Duration> interval;
    private final ExecutorService pool;
    private final Clock clock;
    /**
     * The claims as this round's settling left them, before it read Nova: what its decisions were
     * made on. Taken by the round's execution; without a settling first, the claims as they are then.
     */
    private final AtomicReference<Map<UUID, Long>> decidedOn = new AtomicReference<>();

    /**
     * @param interval the replication interval the rules ask for now (what new assignments carry)
     * @param pool where the moves of a round run side by side
     */
    public ControllerMoves(Mover mover, Journal journal, BringBack bringBack, Supplier<Duration> interval,
            ExecutorService pool, Clock clock) {
        this.mover = requireNonNull(mover, "mover is null");
        this.journal = requireNonNull(journal, "journal is null");
        this.bringBack = requireNonNull(bringBack, "bringBack is null");
        this.interval = requireNonNull(interval, "interval is null");
        this.pool = requireNonNull(pool, "pool is null");
        this.clock = requireNonNull(clock, "clock is null");
    }

    @Override
    public Map<UUID, String> held() {
        Map<UUID, String> held = new LinkedHashMap<>();
        journal.open().forEach(m -> held.put(m.plan().vm(), m.holdReason()));
        return held;
    }

    /** Follows the moves left in flight, then brings back the hosts failovers forced down that have returned. */
    @Override
    public List<String> settle() {
        Map<UUID, Long> claims = journal.claims();
        List<CompletableFuture<MoveState>> followed = journal.open().stream()
                // A move asked through the API runs beside the rounds: it is followed where it runs.
                .filter(m -> m.status() == MoveState.Status.IN_FLIGHT && !mover.running(m.plan().vm()))
                .map(m -> CompletableFuture.supplyAsync(() -> mover.resume(m, claims.getOrDefault(m.plan().vm(), 0L)),
                        pool)).toList();
        List<String> lines = new ArrayList<>(followed.stream().map(f -> {
            MoveState m = f.join();
            return "vm " + m.plan().vm() + ": " + m.summary();
        }).toList());
        lines.addAll(bringBack.round());
        decidedOn.set(journal.claims());
        return lines;
    }

    @Override
    public List<Execution> execute(List<Decision> moves) {
        Map<UUID, Long> seen = Optional.ofNullable(decidedOn.getAndSet(null)).orElseGet(journal::claims);
        List<CompletableFuture<Execution>> running = new ArrayList<>();
        for (Decision d : moves) {
            MovePlan plan = plan(d, interval.get());
            Instant at = clock.instant();
            running.add(CompletableFuture.supplyAsync(() -> {
                try {
                    MoveState move = mover.start(plan, seen.getOrDefault(d.vm(), 0L));
                    // A blocked failover moved nothing: no cooldown, the next round tries again.
                    return new Execution(d.vm(), Optional.of(at).filter(a -> !move.blocked()), move.summary());
                } catch (MoveConflictException e) {
                    return new Execution(d.vm(), Optional.empty(), "not started: " + e.getMessage());
                }
            }, pool));
        }
        return running.stream().map(CompletableFuture::join).toList();
    }

    /** The plan of a MOVE decision: its action, target and the secondaries it weighed. */
    static MovePlan plan(Decision d, Duration interval) {
        MoveAction action = d.action().orElseThrow(() -> new IllegalArgumentException("decision for " + d.vm()
                + " has no action"));
        MoveKind kind = switch (action) {
            case LIVE_MIGRATE -> MoveKind.LIVE_MIGRATION;
            case EVACUATE -> MoveKind.FAILOVER;
            case NONE -> throw new IllegalArgumentException("decision for " + d.vm() + " moves by action none");
        };
        List<String> holders = d.candidates().stream().map(Candidate::host).toList();
        return new MovePlan(d.vm(), kind, d.primary(), d.target().orElseThrow(), holders, interval,
                String.join("; ", d.reasons()));
    }
}
