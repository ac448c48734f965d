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
import io.understudy.nova.state.Server;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Rebuilds the server of a fenced, dead host on a named host (on a staged replica disk, where
 * the agent put one), and follows it until the server is ACTIVE there with {@code evacuate} in
 * its action log.
 *
 * <p>It takes a {@link Fenced} proof for the host the server is on, and nothing else: whether the
 * host is fenced is the fencer's judgement (a power-off confirmed by its BMC, its agent's destroy
 * read back from libvirt, an operator's word), not Nova's view of the compute service, which
 * lags by {@code service_down_time} and proves nothing about a partitioned host. Nova still
 * refuses (400) to evacuate from a compute service it sees up: the controller forces it down
 * first, once fenced. A server is never evacuated twice: an evacuation Nova has, in flight or
 * done, is followed instead; one that failed after reaching a compute is left to an operator.
 * Holds no state between runs: runs for different servers may go on at once.
 */
public final class Evacuation {

    /**
     * From 2.68 there is no {@code force}, so the scheduler checks the host; up to 2.94 an
     * evacuated server comes back ACTIVE (from 2.95 it stays SHUTOFF). Nova 26 (Zed) speaks up
     * to 2.93.
     */
    public static final Microversion VERSION = new Microversion(2, 68);

    /** The name in the server's action log. */
    static final String ACTION = "evacuate";
    /** The task states of a rebuild: what the server shows while Nova evacuates it. */
    private static final Set<String> REBUILDING = Set.of("rebuilding", "rebuild_block_device_mapping",
            "rebuild_spawning");
    private static final Logger LOG = LoggerFactory.getLogger(Evacuation.class);

    private final NovaCalls nova;
    private final ActionSettings settings;

    public Evacuation(NovaCalls nova, ActionSettings settings) {
        this.nova = requireNonNull(nova, "nova is null");
        this.settings = requireNonNull(settings, "settings is null");
    }

    /**
     * Evacuates SERVER from the fenced host to HOST, or follows its evacuation there that Nova
     * already has (a restarted controller calls this again and gets the same move). Blocks until
     * the end.
     *
     * @throws IllegalArgumentException when HOST is the fenced host itself
     */
    public MoveResult run(UUID server, String host, Fenced fenced) {
        requireNonNull(fenced, "fenced is null: no evacuation without proof that its source is fenced");
        Hosts.requireHost(host);
        if (host.equals(fenced.host())) {
            throw new IllegalArgumentException("evacuation target " + host + " is the fenced host");
        }
        MoveRun run = new MoveRun(nova, settings, LOG, MoveResult.Kind.EVACUATION,
                requireNonNull(server, "server is null"));
        Optional<MoveResult> unreadable = run.readBefore(host);
        if (unreadable.isPresent()) {
            return unreadable.get();
        }
        Server before = run.before();
        // What Nova did to the server last, whatever it was: an evacuation from the fenced host that
        // is newer than any later move back is this failure's evacuation.
        Optional<Migration> newest = run.records().stream().findFirst();
        Optional<Migration> earlier = newest.filter(m -> m.isEvacuation()
                && m.sourceCompute().equals(Optional.of(fenced.host())) && !m.status().equals(Migration.ERROR));
        if (earlier.isPresent()) {
            return again(run, earlier.get(), host, before);
        }
        Optional<Migration> inFlight = newest.filter(m -> !m.ended());
        if (inFlight.isPresent()) {
            return run.result(Outcome.CONFLICT, host, "Nova has " + inFlight.get().describe() + " in flight for it",
                    inFlight, Optional.of(before));
        }
        Optional<String> notFenced = notFenced(run, before, fenced);
        if (notFenced.isPresent()) {
            return run.result(Outcome.NOT_FENCED, host, notFenced.get(), Optional.empty(), Optional.of(before));
        }
        long newestRecord = run.newestRecord();
        ObjectNode body = JsonNodeFactory.instance.objectNode();
        body.putObject("evacuate").put("host", host);
        run.step(before.describe() + ": asking Nova to rebuild it on " + host);
        return run.ask(NovaRequest.post("/servers/" + server + "/action", VERSION, body), host,
                () -> trace(run, newestRecord),
                requestId -> follow(run, host, m -> m.isEvacuation() && m.id() > newestRecord, requestId));
    }

    /**
     * Follows the evacuation of SERVER that Nova has in flight, if there is one: what a restarted
     * controller calls first (with {@link LiveMigration#resume}). Needs no fence proof: it starts
     * nothing. Blocks until the end.
     */
    public Optional<MoveResult> resume(UUID server) {
        MoveRun run = new MoveRun(nova, settings, LOG, MoveResult.Kind.EVACUATION,
                requireNonNull(server, "server is null"));
        return run.resume(Migration::isEvacuation,
                moving -> follow(run, moving.destCompute().orElse("?"), m -> m.id() == moving.id(), Optional.empty()));
    }

    /** The server's newest move is an evacuation from the fenced host: follow it, never start another. */
    private MoveResult again(MoveRun run, Migration earlier, String host, Server before) {
        if (earlier.status().equals(Migration.FAILED)) {
            return run.result(Outcome.FAILED, host, "Nova's " + earlier.describe() + " ("
                    + run.failureOf(Optional.empty(), ACTION) + "): a server is never evacuated twice, an operator "
                    + "must look", Optional.of(earlier), Optional.of(before));
        }
        if (!earlier.destCompute().map(host::equals).orElse(true)) {
            return run.result(Outcome.CONFLICT, host, "Nova already has " + earlier.describe()
                    + "; a server is never evacuated twice", Optional.of(earlier), Optional.of(before));
        }
        run.resuming(earlier);
        return follow(run, host, m -> m.id() == earlier.id(), Optional.empty());
    }

    /** Why the proof does not cover the server, or empty when it is for the host the server is on. */
    private static Optional<String> notFenced(MoveRun run, Server before, Fenced fenced) {
        if (!before.host().equals(Optional.of(fenced.host()))) {
            return Optional.of("the server is " + before.describe() + ", but the fence proof is for " + fenced.host());
        }
        run.step("source " + fenced.host() + " fenced (" + fenced.how() + " at " + fenced.at() + ")");
        return Optional.empty();
    }

    private MoveResult follow(MoveRun run, String host, Predicate<Migration> ours, Optional<String> requestId) {
        Poll.Outcome<Migration> watched = run.awaitEnd(ours, Deadline.after(settings.evacuationTimeout()));
        if (watched.end() != Poll.End.REACHED) {
            return run.unfinished(host, watched, watched.last().isEmpty()
                    ? "waiting for Nova's evacuation record" : "following the evacuation", watched.last(),
                    Optional.empty());
        }
        Migration record = watched.last().get();
        String target = record.destCompute().orElse(host);
        if (record.succeeded()) {
            Poll.Outcome<Server> server = run.awaitServer(s -> s.settledOn(target));
            if (server.end() == Poll.End.REACHED) {
                return confirmed(run, target, record, server.last(), requestId);
            }
            if (server.end() != Poll.End.DEADLINE) {
                return run.unfinished(target, server, "reading the server back", Optional.of(record), server.last());
            }
            return run.result(Outcome.FAILED, target, "Nova's record says " + record.status() + " but the server is "
                    + server.last().map(Server::describe).orElse("unknown"), Optional.of(record), server.last());
        }
        Optional<Server> after = run.lastSeen();
        String why = "Nova ended " + record.describe() + ": " + run.failureOf(requestId, ACTION);
        // "error" is set by the conductor when the scheduler or a check refuses, before any compute acts.
        boolean untouched = record.status().equals(Migration.ERROR) && after.isPresent()
                && after.get().host().equals(record.sourceCompute()) && after.get().taskState().isEmpty();
        return run.result(untouched ? Outcome.REFUSED : Outcome.FAILED, target, why + "; the server is "
                + after.map(Server::describe).orElse("unknown"), Optional.of(record), after);
    }

    private MoveResult confirmed(MoveRun run, String target, Migration record, Optional<Server> server,
            Optional<String> requestId) {
        try {
            if (run.logged(ACTION, requestId)) {
                return run.result(Outcome.COMPLETED, target, "ACTIVE on " + target + ", '" + ACTION
                        + "' in its action log", Optional.of(record), server);
            }
            return run.result(Outcome.UNRESOLVED, target, "ACTIVE on " + target + " but its action log lacks '"
                    + ACTION + "' " + Trail.idOf(requestId), Optional.of(record), server);
        } catch (NovaException | IllegalStateException e) {
            return run.result(Outcome.UNRESOLVED, target, "ACTIVE on " + target + " but its action log could not "
                    + "be read: " + e.getMessage(), Optional.of(record), server);
        }
    }

    /** What Nova shows of an earlier attempt: a newer evacuation record, or the server rebuilding. */
    private static Optional<String> trace(MoveRun run, long newestRecord) {
        Optional<Migration> newer = run.migrations.ofServer(run.server()).stream()
                .filter(m -> m.isEvacuation() && m.id() > newestRecord).findFirst();
        if (newer.isPresent()) {
            return Optional.of("Nova lists " + newer.get().describe());
        }
        return run.servers.show(run.server()).flatMap(Server::taskState).filter(REBUILDING::contains)
                .map(task -> "the server's task is " + task);
    }
}
