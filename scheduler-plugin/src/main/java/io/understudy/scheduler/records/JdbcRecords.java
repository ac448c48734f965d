package io.understudy.scheduler.records;

import static java.util.Objects.requireNonNull;

import io.understudy.scheduler.jobs.Database;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.SQLIntegrityConstraintViolationException;
import java.sql.Statement;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Records as rows of {@code UNDERSTUDY_RECORDS} in the clustered store's MariaDB database, shared
 * by every controller there: creating a row whose key exists fails, which makes {@link #create}
 * the claim on a name among controllers as among processes. Every write counts up the row's
 * {@code VERSION}, which {@link #compareAndSet} compares in a transaction of its own. The table is
 * created when missing, the version column added to a table from before it.
 */
public final class JdbcRecords implements Records {

    private static final Logger LOG = LoggerFactory.getLogger(JdbcRecords.class);
    static final String TABLE = "UNDERSTUDY_RECORDS";
    private static final String SCHEMA = "CREATE TABLE IF NOT EXISTS " + TABLE + " ("
            + "KIND VARCHAR(40) NOT NULL, NAME VARCHAR(" + MAX_NAME + ") NOT NULL, BODY MEDIUMBLOB NOT NULL, "
            + "UPDATED_AT TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3), "
            + "VERSION BIGINT NOT NULL DEFAULT 1, "
            + "PRIMARY KEY (KIND, NAME)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin";
    private static final String VERSION_COLUMN = "ALTER TABLE " + TABLE
            + " ADD COLUMN IF NOT EXISTS VERSION BIGINT NOT NULL DEFAULT 1";
    /** MariaDB's deadlock, which is also how Galera fails a commit that lost certification to another node's. */
    private static final int DEADLOCK = 1213;

    private final Supplier<Connection> connect;
    private final String database;
    private Connection connection;

    /**
     * @param connect opens a connection to the database
     * @param database how to name it in messages (its URL)
     */
    public JdbcRecords(Supplier<Connection> connect, String database) {
        this.connect = requireNonNull(connect, "connect is null");
        this.database = requireNonNull(database, "database is null");
    }

    private interface Query<T> {
        T run(Connection c) throws SQLException;
    }

    @Override
    public boolean create(String kind, String name, byte[] body) {
        return run(kind, name, c -> {
            try (PreparedStatement s = c.prepareStatement("INSERT INTO " + TABLE + " (KIND, NAME, BODY) VALUES (?, ?, ?)")) {
                s.setString(1, kind);
                s.setString(2, name);
                s.setBytes(3, body);
                s.executeUpdate();
                return true;
            } catch (SQLIntegrityConstraintViolationException e) {
                return false;
            }
        });
    }

    @Override
    public void put(String kind, String name, byte[] body) {
        run(kind, name, c -> put(c, kind, name, body));
    }

    private static int put(Connection c, String kind, String name, byte[] body) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("INSERT INTO " + TABLE
                + " (KIND, NAME, BODY) VALUES (?, ?, ?) ON DUPLICATE KEY UPDATE BODY = VALUES(BODY),"
                + " VERSION = VERSION + 1")) {
            s.setString(1, kind);
            s.setString(2, name);
            s.setBytes(3, body);
            return s.executeUpdate();
        }
    }

    @Override
    public Optional<byte[]> get(String kind, String name) {
        return run(kind, name, c -> {
            try (PreparedStatement s = c.prepareStatement("SELECT BODY FROM " + TABLE + " WHERE KIND = ? AND NAME = ?")) {
                s.setString(1, kind);
                s.setString(2, name);
                try (ResultSet r = s.executeQuery()) {
                    return r.next() ? Optional.of(r.getBytes(1)) : Optional.empty();
                }
            }
        });
    }

    @Override
    public SortedMap<String, byte[]> all(String kind) {
        return run(kind, null, c -> {
            try (PreparedStatement s = c.prepareStatement("SELECT NAME, BODY FROM " + TABLE + " WHERE KIND = ?")) {
                s.setString(1, kind);
                SortedMap<String, byte[]> records = new TreeMap<>();
                try (ResultSet r = s.executeQuery()) {
                    while (r.next()) {
                        records.put(r.getString(1), r.getBytes(2));
                    }
                }
                return records;
            }
        });
    }

    @Override
    public SortedMap<String, Long> versions(String kind) {
        return run(kind, null, c -> {
            try (PreparedStatement s = c.prepareStatement("SELECT NAME, VERSION FROM " + TABLE + " WHERE KIND = ?")) {
                s.setString(1, kind);
                SortedMap<String, Long> versions = new TreeMap<>();
                try (ResultSet r = s.executeQuery()) {
                    while (r.next()) {
                        versions.put(r.getString(1), r.getLong(2));
                    }
                }
                return versions;
            }
        });
    }

    @Override
    public OptionalLong compareAndSet(String kind, String name, long version, byte[] body, List<Write> with) {
        return run(kind, name, c -> {
            c.setAutoCommit(false);
            try {
                boolean set;
                try (PreparedStatement s = c.prepareStatement(version == 0
                        ? "INSERT INTO " + TABLE + " (BODY, KIND, NAME, VERSION) VALUES (?, ?, ?, 1)"
                        : "UPDATE " + TABLE + " SET BODY = ?, VERSION = VERSION + 1 WHERE KIND = ? AND NAME = ?"
                                + " AND VERSION = ?")) {
                    s.setBytes(1, body);
                    s.setString(2, kind);
                    s.setString(3, name);
                    if (version != 0) {
                        s.setLong(4, version);
                    }
                    set = s.executeUpdate() == 1;
                } catch (SQLIntegrityConstraintViolationException e) {
                    set = false;
                }
                if (!set) {
                    c.rollback();
                    return OptionalLong.empty();
                }
                for (Write w : with) {
                    put(c, w.kind(), w.name(), w.body());
                }
                c.commit();
                return OptionalLong.of(version + 1);
            } catch (SQLException e) {
                if (e.getErrorCode() != DEADLOCK) {
                    throw e;
                }
                // Another node's transaction on the row was certified first (or, on one server, a
                // deadlock with another claimer): it claimed the row.
                c.rollback();
                return OptionalLong.empty();
            } finally {
                c.setAutoCommit(true);
            }
        });
    }

    @Override
    public boolean delete(String kind, String name) {
        return run(kind, name, c -> {
            try (PreparedStatement s = c.prepareStatement("DELETE FROM " + TABLE + " WHERE KIND = ? AND NAME = ?")) {
                s.setString(1, kind);
                s.setString(2, name);
                return s.executeUpdate() > 0;
            }
        });
    }

    @Override
    public String where(String kind, String name) {
        return database + " " + TABLE + " " + kind + (name == null ? "" : "/" + name);
    }

    /** Runs QUERY on the connection, once more on a new one when the database dropped it. */
    private synchronized <T> T run(String kind, String name, Query<T> query) {
        if (name != null) {
            Records.checkName(name);
        }
        SQLException last = null;
        for (int attempt = 1; attempt <= 2; attempt++) {
            try {
                return query.run(connection());
            } catch (SQLException | IllegalStateException e) {
                LOG.warn("records: {}: {}{}", where(kind, name), e.getMessage(), attempt == 1 ? "; reconnecting" : "");
                last = e instanceof SQLException sql ? sql : new SQLException(e.getMessage(), e);
                close();
            }
        }
        throw new UncheckedIOException(where(kind, name) + ": " + last.getMessage(), new IOException(last));
    }

    private Connection connection() throws SQLException {
        if (connection == null) {
            Connection c = connect.get();
            // Galera runs DDL in total order, and it aborts every transaction on the table on every
            // node, another controller's claim among them: it runs only when something is missing.
            try (Statement s = c.createStatement()) {
                if (!hasVersionColumn(c)) {
                    s.execute(SCHEMA);
                    s.execute(VERSION_COLUMN);
                }
            } catch (SQLException e) {
                c.close();
                throw e;
            }
            connection = c;
        }
        return connection;
    }

    private static boolean hasVersionColumn(Connection c) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("SELECT COUNT(*) FROM information_schema.COLUMNS"
                + " WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? AND COLUMN_NAME = 'VERSION'")) {
            s.setString(1, TABLE);
            try (ResultSet r = s.executeQuery()) {
                return r.next() && r.getLong(1) > 0;
            }
        }
    }

    private void close() {
        Database.closeQuietly(connection, LOG, "records");
        connection = null;
    }
}
