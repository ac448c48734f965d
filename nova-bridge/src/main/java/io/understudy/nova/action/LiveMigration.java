package io.understudy.nova.action;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.understudy.nova.action.MoveResult.Outcome;
import io.understudy.nova.client.Microversion;
import io.understudy.nova.client.NovaCalls;
import io.understudy.nova.client.NovaException;
import io.understudy.nova.client.NovaRequest;
import io.understudy.nova.state.Migration;
import io.understudy.nova.state.MigrationProgress;
import io.understudy.nova.state.Server;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Live-migrates a running server to a named host and follows it to its end: Nova's
 * {@code live-migration} record in {@code /os-migrations}, then the server read back ACTIVE on
 * that host. Nova's scheduler still checks the host; its refusal ends the attempt with Nova's
 * reason. A migration that outlasts its time (per GiB of RAM) is aborted or forced to complete.
 * A live migration of the server already in flight is followed, never doubled. Holds no state
 * between runs: runs for different servers may go on at once.
 */
public final class LiveMigration {

    /**
     * {@code block_migration: "auto"} needs 2.25; from 2.68 there is no {@code force} to bypass
     * the scheduler's checks, which we never want.
     */
    public static final Microversion VERSION = new Microversion(2, 68);
    /** Abort is 2.24; from 2.65 it also cancels a migration still queued or preparing. */
    static final Microversion ABORT = new Microversion(2, 65);
    static final Microversion FORCE_COMPLETE = new Microversion(2, 22);

    /** The name in the server's action log. */
    static final String ACTION = "live-migration";
    private static final String TASK_MIGRATING = "migrating";
    /** The record's status while libvirt copies the memory and disks. */
    private static final String RUNNING = "running";
    /** How often a running live migration's progress is read and logged. */
    static final Duration PROGRESS_EVERY = Duration.ofSeconds(3);
    private static final Logger LOG = LoggerFactory.getLogger(LiveMigration.class);

    private final NovaCalls nova;
    private final ActionSettings settings;

    public LiveMigration(NovaCalls nova, ActionSettings settings) {
        this.nova = requireNonNull(nova, "nova is null");
        this.settings = requireNonNull(settings, "settings is null");
    }

    /** A live migration whose reads of Nova (the server, its migration records) have begun. */
    public static final class Prepared {
        private final MoveRun run;
        private final String host;
        private final CompletableFuture<Optional<MoveResult>> reading;

        private Prepared(MoveRun run, String host, CompletableFuture<Optional<MoveResult>> reading) {
            this.run = run;
            this.host = host;
            this.reading = reading;
        }
    }

    /**
     * Moves SERVER to HOST, or follows the live migration there that Nova already has in flight
     * (a restarted controller calls this again and gets the same move). Blocks until the end.
     */
    public MoveResult run(UUID server, String host) {
        return run(prepare(server, host));
    }

    /**
     * Begins reading what a live migration of SERVER to HOST starts from, and returns at once: the
     * caller does its own work meanwhile and then {@link #run(Prepared) runs} it, soon (what was
     * read decides whether a migration is asked or followed, and which records are older).
     */
    public Prepared prepare(UUID server, String host) {
        Hosts.requireHost(host);
        MoveRun run = new MoveRun(nova, settings, LOG, MoveResult.Kind.LIVE_MIGRATION,
                requireNonNull(server, "server is null"));
        return new Prepared(run, host, run.readBeforeAsync(host));
    }

    /** Runs PREPARED: as {@link #run(UUID, String)}, from the reads it began. Blocks until the end. */
    public MoveResult run(Prepared prepared) {
        MoveRun run = prepared.run;
        String host = prepared.host;
        UUID server = run.server();
        Optional<MoveResult> unreadable = MoveRun.joined(prepared.reading);
        if (unreadable.isPresent()) {
            return unreadable.get();
        }
        Server before = run.before();
        Optional<Migration> inFlight = run.records().stream()
                .filter(m -> (m.isLiveMigration() || m.isEvacuation()) && !m.ended()).findFirst();
        if (inFlight.isPresent()) {
            Migration moving = inFlight.get();
            if (moving.isLiveMigration() && moving.destCompute().map(host::equals).orElse(true)) {
                run.resuming(moving);
                return follow(run, moving);
            }
            return run.result(Outcome.CONFLICT, host, "Nova has " + moving.describe() + " in flight for it",
                    inFlight, Optional.of(before));
        }
        if (before.settledOn(host)) {
            return run.result(Outcome.COMPLETED, host, "already ACTIVE on " + host + ", nothing asked",
                    run.records().stream().filter(Migration::isLiveMigration).findFirst(), Optional.of(before));
        }
        long newestRecord = run.newestRecord();
        ObjectNode body = JsonNodeFactory.instance.objectNode();
        body.putObject("os-migrateLive").put("host", host).put("block_migration", "auto");
        run.step(before.describe() + ", " + before.ramMiB() + " MiB of RAM: asking Nova to move it to " + host);
        Deadline deadline = Deadline.after(settings.liveMigrationTimeout(before.ramMiB()));
        return run.ask(NovaRequest.post("/servers/" + server + "/action", VERSION, body), host,
                () -> trace(run, newestRecord),
                requestId -> follow(run, host, m -> m.isLiveMigration() && m.id() > newestRecord, deadline, requestId));
    }

    /**
     * Follows the live migration of SERVER that Nova has in flight, if there is one: what a
     * restarted controller calls first (with {@link Evacuation#resume}). Blocks until the end.
     */
    public Optional<MoveResult> resume(UUID server) {
        MoveRun run = new MoveRun(nova, settings, LOG, MoveResult.Kind.LIVE_MIGRATION,
                requireNonNull(server, "server is null"));
        return run.resume(Migration::isLiveMigration, moving -> follow(run, moving));
    }

    private MoveResult follow(MoveRun run, Migration moving) {
        Optional<Server> server;
        try {
            server = run.servers.show(run.server());
        } catch (NovaException | IllegalStateException e) {
            return run.result(Outcome.UNRESOLVED, moving.destCompute().orElse("?"),
                    "could not read the server: " + e.getMessage(), Optional.of(moving), Optional.empty());
        }
        // Its time counts from when Nova created it, not from when we came back to it.
        Duration timeout = settings.liveMigrationTimeout(server.map(Server::ramMiB).orElse(0L));
        Duration spent = Duration.between(moving.createdAt(), Instant.now());
        Deadline deadline = Deadline.after(spent.isNegative() ? timeout : timeout.minus(spent));
        return follow(run, moving.destCompute().orElse("?"), m -> m.id() == moving.id(), deadline, Optional.empty());
    }

    private MoveResult follow(MoveRun run, String host, Predicate<Migration> ours, Deadline deadline,
            Optional<String> requestId) {
        Poll.Outcome<Migration> watched = run.awaitEnd(ours, deadline, new Progress(run));
        if (watched.end() == Poll.End.REACHED) {
            return ended(run, watched.last().orElseThrow(), requestId, false);
        }
        if (watched.end() != Poll.End.DEADLINE || watched.last().isEmpty()) {
            return run.unfinished(host, watched, watched.last().isEmpty()
                    ? "waiting for Nova's live-migration record" : "following the live migration",
                    watched.last(), Optional.empty());
        }
        Migration late = watched.last().get();
        boolean abort = settings.onTimeout() == ActionSettings.OnTimeout.ABORT;
        run.step(late.describe() + " is past its time: " + (abort ? "aborting it" : "forcing it to complete"));
        try {
            String path = "/servers/" + run.server() + "/migrations/" + late.id();
            Optional<String> asked = abort
                    ? run.trail.retrying().send(NovaRequest.delete(path, ABORT)).requestId()
                    : run.trail.retrying().send(NovaRequest.idempotentPost(path + "/action", FORCE_COMPLETE,
                            JsonNodeFactory.instance.objectNode().putNull("force_complete"))).requestId();
            run.step((abort ? "abort" : "force-complete") + " accepted " + Trail.idOf(asked));
        } catch (NovaException e) {
            // Refused when it is no longer running (ending, or ended meanwhile): its record will say.
            run.step((abort ? "abort" : "force-complete") + " not accepted: " + e.getMessage());
        }
        Poll.Outcome<Migration> settled = run.awaitEnd(m -> m.id() == late.id(),
                Deadline.after(settings.settleTimeout()));
        if (settled.end() != Poll.End.REACHED) {
            return run.unfinished(host, settled, "waiting for the " + (abort ? "aborted" : "forced")
                    + " live migration to end", settled.last(), Optional.empty());
        }
        return ended(run, settled.last().get(), requestId, abort);
    }

    /** Judges an ended record against the server as Nova settles it. */
    private MoveResult ended(MoveRun run, Migration record, Optional<String> requestId, boolean aborted) {
        String host = record.destCompute().orElse("?");
        Optional<String> source = record.sourceCompute();
        if (record.succeeded()) {
            Poll.Outcome<Server> server = run.awaitServer(s -> s.settledOn(host));
            if (server.end() == Poll.End.REACHED) {
                return run.result(Outcome.COMPLETED, host, "ACTIVE on " + host, Optional.of(record), server.last());
            }
            if (server.end() != Poll.End.DEADLINE) {
                return run.unfinished(host, server, "reading the server back", Optional.of(record), server.last());
            }
            return run.result(Outcome.FAILED, host, "Nova's record says completed but the server is "
                    + server.last().map(Server::describe).orElse("unknown"), Optional.of(record), server.last());
        }
        Poll.Outcome<Server> server = run.awaitServer(s -> s.taskState().isEmpty());
        if (server.end() != Poll.End.REACHED && server.end() != Poll.End.DEADLINE) {
            return run.unfinished(host, server, "reading the server back", Optional.of(record), server.last());
        }
        String why = "Nova ended " + record.describe() + ": " + run.failureOf(requestId, ACTION);
        boolean home = source.isPresent() && server.end() == Poll.End.REACHED
                && server.last().orElseThrow().settledOn(source.get());
        if (!home) {
            return run.result(Outcome.FAILED, host, why + "; the server is "
                    + server.last().map(Server::describe).orElse("unknown"), Optional.of(record), server.last());
        }
        boolean cancelled = record.status().equals(Migration.CANCELLED);
        return run.result(aborted && cancelled ? Outcome.ABORTED : Outcome.REFUSED, host,
                why + "; the server is still ACTIVE on " + source.get(), Optional.of(record), server.last());
    }

    /**
     * Logs how far a running live migration has copied the memory and disks, and at what rate: at
     * the first read that sees it running, then every {@link #PROGRESS_EVERY}. Only for the log:
     * a read that fails is left out.
     */
    private static final class Progress implements Consumer<Migration> {
        private final MoveRun run;
        private Optional<MigrationProgress> last = Optional.empty();
        private long lastAt;

        Progress(MoveRun run) {
            this.run = run;
        }

        @Override
        public void accept(Migration m) {
            long now = System.nanoTime();
            if (!m.status().equals(RUNNING) || (last.isPresent() && now - lastAt < PROGRESS_EVERY.toNanos())) {
                return;
            }
            try {
                Optional<MigrationProgress> read = run.migrations.progress(run.server(), m.id());
                // Told once while Nova has no figures, then as they come.
                if (read.isPresent() && (read.get().reported() || last.isEmpty())) {
                    run.step(m.describe() + ": " + read.get().describe(last, Duration.ofNanos(now - lastAt)));
                    last = read;
                    lastAt = now;
                }
            } catch (NovaException | IllegalStateException e) {
                // The move is followed by its record; its progress is only told.
            }
        }
    }

    /** What Nova shows of an earlier attempt: a newer live-migration record, or the server migrating. */
    private static Optional<String> trace(MoveRun run, long newestRecord) {
        Optional<Migration> newer = run.migrations.ofServer(run.server()).stream()
                .filter(m -> m.isLiveMigration() && m.id() > newestRecord).findFirst();
        if (newer.isPresent()) {
            return Optional.of("Nova lists " + newer.get().describe());
        }
        return run.servers.show(run.server()).filter(s -> s.taskState().equals(Optional.of(TASK_MIGRATING)))
                .map(s -> "the server's task is " + TASK_MIGRATING);
    }
}
