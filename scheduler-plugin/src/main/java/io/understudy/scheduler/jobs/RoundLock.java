package io.understudy.scheduler.jobs;

import static java.util.Objects.requireNonNull;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One round at a time, among every controller: a round that may act holds this lock from its
 * first read to its last move's end, so that the next round, here or on a standby controller,
 * sees what it did. Quartz's {@code @DisallowConcurrentExecution} alone was seen letting two
 * controllers' rounds overlap (a failure round asked for by each controller's detection), and the
 * moves' journal is each controller's own: both then failed the same VM over.
 *
 * <p>Within a controller a plain lock; across controllers on the clustered store, the database's
 * named lock ({@code GET_LOCK}), held by a connection of its own, so that it is released when a
 * controller dies. Galera keeps such locks per node: controllers writing through different nodes
 * both hold it. It keeps rounds apart where every controller reaches one node (a single server,
 * or Galera behind a proxy that sends every write to one node); that no VM is moved twice rests
 * on each move's claim in the shared records, not on this lock.
 */
public final class RoundLock implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(RoundLock.class);
    static final String NAME = "understudy.rounds";
    /** Where the jobs find it: the scheduler's context. */
    static final String KEY = RoundLock.class.getName();
    /** How long a round waits for another one to end before it gives up its turn. */
    static final Duration WAIT = Duration.ofSeconds(30);

    private final ReentrantLock local = new ReentrantLock();
    private final Optional<Supplier<Connection>> database;
    private Connection connection;

    /** @param database opens a connection to the clustered store's database; empty: one controller only */
    RoundLock(Optional<Supplier<Connection>> database) {
        this.database = requireNonNull(database, "database is null");
    }

    /** Runs TASK holding the lock, waiting for it up to WAIT; empty when it could not be had. */
    public <T> Optional<T> holding(Duration wait, Supplier<T> task) {
        long deadline = System.nanoTime() + wait.toNanos();
        try {
            if (!local.tryLock(wait.toMillis(), TimeUnit.MILLISECONDS)) {
                return Optional.empty();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.empty();
        }
        try {
            if (database.isEmpty()) {
                return Optional.of(task.get());
            }
            long left = Math.max(0, TimeUnit.NANOSECONDS.toSeconds(deadline - System.nanoTime()));
            if (!acquire(left)) {
                return Optional.empty();
            }
            try {
                return Optional.of(task.get());
            } finally {
                release();
            }
        } finally {
            local.unlock();
        }
    }

    private boolean acquire(long seconds) {
        for (int attempt = 1; attempt <= 2; attempt++) {
            try {
                try (PreparedStatement s = connection().prepareStatement("SELECT GET_LOCK(?, ?)")) {
                    s.setString(1, NAME);
                    s.setLong(2, seconds);
                    try (ResultSet r = s.executeQuery()) {
                        return r.next() && r.getInt(1) == 1;
                    }
                }
            } catch (SQLException | IllegalStateException e) {
                // A connection the database dropped: once more on a new one.
                log.warn("round lock: {}{}", e.getMessage(), attempt == 1 ? "; reconnecting" : "");
                closeConnection();
            }
        }
        return false;
    }

    private void release() {
        try (PreparedStatement s = connection().prepareStatement("SELECT RELEASE_LOCK(?)")) {
            s.setString(1, NAME);
            s.executeQuery().close();
        } catch (SQLException | IllegalStateException e) {
            // Closing the session releases its locks.
            log.warn("round lock: releasing: {}", e.getMessage());
            closeConnection();
        }
    }

    private Connection connection() {
        if (connection == null) {
            connection = database.orElseThrow().get();
        }
        return connection;
    }

    private void closeConnection() {
        Database.closeQuietly(connection, log, "round lock");
        connection = null;
    }

    @Override
    public void close() {
        local.lock();
        try {
            closeConnection();
        } finally {
            local.unlock();
        }
    }
}
