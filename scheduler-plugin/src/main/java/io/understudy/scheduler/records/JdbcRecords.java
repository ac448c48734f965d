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
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Records as rows of {@code UNDERSTUDY_RECORDS} in the clustered store's MariaDB database, shared
 * by every controller there: creating a row whose key exists fails, which makes {@link #create}
 * the claim on a name among controllers as among processes. The table is created when missing.
 */
public final class JdbcRecords implements Records {

    private static final Logger LOG = LoggerFactory.getLogger(JdbcRecords.class);
    static final String TABLE = "UNDERSTUDY_RECORDS";
    private static final String SCHEMA = "CREATE TABLE IF NOT EXISTS " + TABLE + " ("
            + "KIND VARCHAR(40) NOT NULL, NAME VARCHAR(" + MAX_NAME + ") NOT NULL, BODY MEDIUMBLOB NOT NULL, "
            + "UPDATED_AT TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3), "
            + "PRIMARY KEY (KIND, NAME)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin";

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
        run(kind, name, c -> {
            try (PreparedStatement s = c.prepareStatement("INSERT INTO " + TABLE
                    + " (KIND, NAME, BODY) VALUES (?, ?, ?) ON DUPLICATE KEY UPDATE BODY = VALUES(BODY)")) {
                s.setString(1, kind);
                s.setString(2, name);
                s.setBytes(3, body);
                return s.executeUpdate();
            }
        });
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
            try (Statement s = c.createStatement()) {
                s.execute(SCHEMA);
            } catch (SQLException e) {
                c.close();
                throw e;
            }
            connection = c;
        }
        return connection;
    }

    private void close() {
        Database.closeQuietly(connection, LOG, "records");
        connection = null;
    }
}
