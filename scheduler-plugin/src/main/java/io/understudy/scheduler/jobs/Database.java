package io.understudy.scheduler.jobs;

import static java.util.Objects.requireNonNull;

import io.understudy.scheduler.config.JobsConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.Optional;
import java.util.function.Supplier;
import org.slf4j.Logger;

/** The clustered store's database ({@code jobstore: jdbc}): its password and new connections to it. */
public final class Database {

    private final JobsConfig config;
    private final Optional<String> password;

    /** Reads the password file now: a bad one stops the start. */
    public Database(JobsConfig config) {
        this.config = requireNonNull(config, "config is null");
        if (config.store() != JobsConfig.Store.JDBC) {
            throw new IllegalArgumentException("jobstore " + config.store() + " has no database");
        }
        this.password = password(config);
    }

    public String url() {
        return config.jdbcUrl().orElseThrow();
    }

    Optional<String> password() {
        return password;
    }

    /** A new connection; an {@link IllegalStateException} naming the database when it cannot be had. */
    public Connection connect() {
        try {
            return open();
        } catch (SQLException e) {
            throw new IllegalStateException("cannot connect to " + url() + ": " + e.getMessage(), e);
        }
    }

    Connection open() throws SQLException {
        return DriverManager.getConnection(url(), config.jdbcUser().orElseThrow(), password.orElse(""));
    }

    /** {@link #connect} as a supplier, for what reconnects on its own. */
    public Supplier<Connection> connector() {
        return this::connect;
    }

    /** Closes CONNECTION if there is one, a failure only logged: it is being given up anyway. */
    public static void closeQuietly(Connection connection, Logger log, String what) {
        if (connection != null) {
            try {
                connection.close();
            } catch (SQLException e) {
                log.debug("{}: closing: {}", what, e.getMessage());
            }
        }
    }

    private static Optional<String> password(JobsConfig config) {
        if (config.jdbcPasswordFile().isEmpty()) {
            return Optional.empty();
        }
        try {
            return Optional.of(Files.readAllLines(config.jdbcPasswordFile().get()).stream().findFirst().orElse("").strip());
        } catch (IOException e) {
            throw new IllegalArgumentException("jdbc.passwordFile " + config.jdbcPasswordFile().get()
                    + " cannot be read: " + e.getMessage(), e);
        }
    }
}
