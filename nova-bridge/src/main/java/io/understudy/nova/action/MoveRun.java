package io.understudy.nova.action;

import static java.util.Objects.requireNonNull;

import io.understudy.nova.client.NovaCalls;
import io.understudy.nova.client.NovaException;
import io.understudy.nova.client.NovaRequest;
import io.understudy.nova.state.InstanceAction;
import io.understudy.nova.state.InstanceActions;
import io.understudy.nova.state.Migration;
import io.understudy.nova.state.Migrations;
import io.understudy.nova.state.Server;
import io.understudy.nova.state.Servers;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.function.Supplier;
import org.slf4j.Logger;

/**
 * One run of a move (live migration or evacuation): its trail of requests, the readers of what
 * Nova says, the clock of its phases, and how it is followed and ended. What differs between
 * the moves (the request, what counts as a trace, how an ending is judged) stays in their classes.
 */
final class MoveRun {

    final Trail trail;
    final Servers servers;
    final Migrations migrations;
    final InstanceActions actions;

    private final MoveResult.Kind kind;
    private final UUID server;
    private final ActionSettings settings;
    private final long began = System.nanoTime();
    private long asked;
    private long accepted;
    private boolean resumed;
    private Server before;
    private List<Migration> records = List.of();

    MoveRun(NovaCalls nova, ActionSettings settings, Logger log, MoveResult.Kind kind, UUID server) {
        this.settings = requireNonNull(settings, "settings is null");
        this.kind = requireNonNull(kind, "kind is null");
        this.server = requireNonNull(server, "server is null");
        this.trail = new Trail(nova, settings.retry(), log, kind + " of " + server);
        this.servers = new Servers(trail.retrying());
        this.migrations = new Migrations(trail.retrying());
        this.actions = new InstanceActions(trail.retrying());
    }

    UUID server() {
        return server;
    }

    void step(String what) {
        trail.step(what);
    }

    /** {@link #readBefore} on threads of its own: the caller waits for it when it needs what was read. */
    CompletableFuture<Optional<MoveResult>> readBeforeAsync(String target) {
        return CompletableFuture.supplyAsync(() -> readBefore(target), this::onThread);
    }

    /**
     * Reads the server and its migration records before anything is asked; empty when both were
     * read, else the result that ends the run (no such server, or Nova could not be read).
     */
    Optional<MoveResult> readBefore(String target) {
        // Both at once: independent reads, each a round trip to Nova's API that the move waits for.
        CompletableFuture<List<Migration>> reading = CompletableFuture.supplyAsync(() -> migrations.ofServer(server),
                this::onThread);
        try {
            Optional<Server> found = servers.show(server);
            List<Migration> read = joined(reading);
            if (found.isEmpty()) {
                return Optional.of(result(MoveResult.Outcome.REFUSED, target, "Nova knows no server " + server,
                        Optional.empty(), Optional.empty()));
            }
            before = found.get();
            records = read;
            return Optional.empty();
        } catch (NovaException | IllegalStateException e) {
            reading.cancel(false);
            return Optional.of(result(MoveResult.Outcome.UNRESOLVED, target, "could not read the server: "
                    + e.getMessage(), Optional.empty(), Optional.empty()));
        }
    }

    private void onThread(Runnable task) {
        Thread t = new Thread(task, "nova-read-" + server);
        t.setDaemon(true);
        t.start();
    }

    /** READING's value, or what it threw. */
    static <T> T joined(CompletableFuture<T> reading) {
        try {
            return reading.join();
        } catch (CompletionException e) {
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            throw e;
        }
    }

    /** The server as {@link #readBefore} found it. */
    Server before() {
        return requireNonNull(before, "the server was not read yet");
    }

    /** Its migration records as {@link #readBefore} found them, newest first. */
    List<Migration> records() {
        return records;
    }

    /** The newest id among its records: the records of a move asked now will be above it. */
    long newestRecord() {
        return records.stream().mapToLong(Migration::id).max().orElse(0);
    }

    /**
     * Follows the move of this kind that Nova has in flight for the server, if any; a failed read
     * is an unresolved result.
     */
    Optional<MoveResult> resume(Predicate<Migration> kind, Function<Migration, MoveResult> follow) {
        try {
            return migrations.ofServer(server).stream().filter(m -> kind.test(m) && !m.ended()).findFirst()
                    .map(moving -> {
                        resuming(moving);
                        return follow.apply(moving);
                    });
        } catch (NovaException | IllegalStateException e) {
            return Optional.of(result(MoveResult.Outcome.UNRESOLVED, "?", "could not read the server's migrations: "
                    + e.getMessage(), Optional.empty(), Optional.empty()));
        }
    }

    /**
     * Asks Nova to start the move (see {@link StartRequest}) and, once it accepted, goes on with
     * FOLLOW given the request id; a refusal or no answer ends the run here.
     */
    MoveResult ask(NovaRequest request, String target, Supplier<Optional<String>> trace,
            Function<Optional<String>, MoveResult> follow) {
        asked = System.nanoTime();
        StartRequest.Answer answer = StartRequest.send(trail, request, settings.retry(), trace);
        Optional<String> requestId = Optional.empty();
        if (answer instanceof StartRequest.Accepted accepted) {
            requestId = accepted.requestId();
            step("accepted " + Trail.idOf(requestId));
        } else if (answer instanceof StartRequest.StartedEarlier earlier) {
            step("an earlier attempt whose answer was lost started it: " + earlier.trace());
        } else if (answer instanceof StartRequest.Refused refused) {
            return result(refused.error().conflict() ? MoveResult.Outcome.CONFLICT : MoveResult.Outcome.REFUSED,
                    target, refused.error().getMessage(), Optional.empty(), lastSeen());
        } else {
            return result(MoveResult.Outcome.UNRESOLVED, target, "Nova did not answer, it may yet start it: "
                    + ((StartRequest.NoAnswer) answer).error().getMessage(), Optional.empty(), lastSeen());
        }
        accepted = System.nanoTime();
        return follow.apply(requestId);
    }

    /** The server as Nova has it now; best effort, for a result whose news is elsewhere. */
    Optional<Server> lastSeen() {
        try {
            return servers.show(server);
        } catch (NovaException | IllegalStateException e) {
            return Optional.empty();
        }
    }

    /** A move Nova already had is followed: nothing is asked. */
    void resuming(Migration migration) {
        resumed = true;
        asked = System.nanoTime();
        accepted = asked;
        step("following " + migration.describe() + ", already in Nova (created " + migration.createdAt() + ")");
    }

    /**
     * Polls the server's records until the first of them that is OURS has ended, logging each
     * status it is seen in.
     */
    Poll.Outcome<Migration> awaitEnd(Predicate<Migration> ours, Deadline deadline) {
        return awaitEnd(ours, deadline, m -> { });
    }

    /** As {@link #awaitEnd(Predicate, Deadline)}, WATCHING each record read of OURS as well. */
    Poll.Outcome<Migration> awaitEnd(Predicate<Migration> ours, Deadline deadline, Consumer<Migration> watching) {
        String[] seen = {""};
        return Poll.until(() -> {
            Optional<Migration> record = migrations.ofServer(server).stream().filter(ours)
                    .min(Comparator.comparingLong(Migration::id));
            record.filter(m -> !m.status().equals(seen[0])).ifPresent(m -> {
                seen[0] = m.status();
                step(m.describe());
            });
            record.ifPresent(watching);
            return record;
        }, Migration::ended, deadline, settings.polling());
    }

    /** Polls the server until SETTLED holds, for at most the settle timeout. */
    Poll.Outcome<Server> awaitServer(Predicate<Server> settled) {
        return Poll.until(() -> servers.show(server), settled, Deadline.after(settings.settleTimeout()),
                settings.polling());
    }

    /**
     * Why Nova's action failed, from the events of the action REQUEST_ID started, or else of the
     * newest action named ACTION. Best effort: the move's outcome does not hang on it.
     */
    String failureOf(Optional<String> requestId, String action) {
        try {
            Optional<String> id = requestId.or(() -> actions.ofServer(server).stream()
                    .filter(a -> a.action().equals(action)).map(InstanceAction::requestId).findFirst());
            return id.flatMap(request -> actions.show(server, request)).flatMap(InstanceAction::failure)
                    .orElse("Nova's action log gives no reason");
        } catch (NovaException | IllegalStateException e) {
            return "its reason could not be read: " + e.getMessage();
        }
    }

    /** Whether the server's action log holds ACTION, started by REQUEST_ID when that is known. */
    boolean logged(String action, Optional<String> requestId) {
        return actions.ofServer(server).stream().anyMatch(a -> a.action().equals(action)
                && requestId.map(a.requestId()::equals).orElse(true));
    }

    /** The result for a poll that did not reach its end: interrupted, a failed read, or a deadline. */
    MoveResult unfinished(String target, Poll.Outcome<?> outcome, String what, Optional<Migration> migration,
            Optional<Server> lastSeen) {
        String reason = switch (outcome.end()) {
            case INTERRUPTED -> "interrupted while " + what + "; Nova goes on without us";
            case READ_FAILED -> "lost track while " + what + ": "
                    + outcome.error().map(Throwable::getMessage).orElse("a read failed");
            case DEADLINE -> "out of time while " + what;
            case REACHED -> throw new IllegalArgumentException("a poll that reached its end is finished");
        };
        return result(MoveResult.Outcome.UNRESOLVED, target, reason, migration, lastSeen);
    }

    /** Ends the run: the result, and its one log line. */
    MoveResult result(MoveResult.Outcome outcome, String target, String reason, Optional<Migration> migration,
            Optional<Server> lastSeen) {
        long now = System.nanoTime();
        long askedAt = asked == 0 ? now : asked;
        long acceptedAt = accepted == 0 ? now : accepted;
        MoveResult result = new MoveResult(kind, server, target, outcome, reason, resumed, migration, lastSeen,
                trail.requestIds(), new MoveResult.Timing(Duration.ofNanos(askedAt - began),
                        Duration.ofNanos(acceptedAt - askedAt), Duration.ofNanos(now - acceptedAt)),
                trail.requests());
        step(outcome + ": " + reason + String.format(" (checks %d ms, request %d ms, Nova %d ms, %d requests %s)",
                result.timing().checks().toMillis(), result.timing().request().toMillis(),
                result.timing().nova().toMillis(), result.requests(), result.requestIds()));
        return result;
    }
}
