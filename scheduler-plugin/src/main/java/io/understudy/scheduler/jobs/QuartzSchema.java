package io.understudy.scheduler.jobs;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Creates Quartz's tables on MariaDB when they are missing, from the script Quartz ships. Its
 * DROP statements are left out: a controller must never wipe the jobs its peers run.
 */
final class QuartzSchema {

    static final String SCRIPT = "org/quartz/impl/jdbcjobstore/tables_mysql_innodb.sql";

    private QuartzSchema() {
    }

    /** @return true when it created the tables */
    static boolean ensure(Connection connection) throws SQLException {
        if (exists(connection)) {
            return false;
        }
        try (Statement statement = connection.createStatement()) {
            for (String sql : statements()) {
                statement.execute(sql);
            }
        }
        return true;
    }

    static boolean exists(Connection connection) throws SQLException {
        DatabaseMetaData meta = connection.getMetaData();
        try (ResultSet tables = meta.getTables(connection.getCatalog(), null, "QRTZ_LOCKS", null)) {
            if (tables.next()) {
                return true;
            }
        }
        try (ResultSet tables = meta.getTables(connection.getCatalog(), null, "qrtz_locks", null)) {
            return tables.next();
        }
    }

    /** The script's CREATE statements, made idempotent (two controllers may start at once). */
    static List<String> statements() {
        String script;
        try (InputStream in = QuartzSchema.class.getClassLoader().getResourceAsStream(SCRIPT)) {
            if (in == null) {
                throw new IllegalStateException("Quartz's " + SCRIPT + " is not on the class path");
            }
            script = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalStateException("cannot read " + SCRIPT + ": " + e.getMessage(), e);
        }
        StringBuilder cleaned = new StringBuilder();
        for (String line : script.split("\\R")) {
            if (!line.strip().startsWith("#") && !line.strip().startsWith("--")) {
                cleaned.append(line).append('\n');
            }
        }
        List<String> out = new ArrayList<>();
        for (String raw : cleaned.toString().split(";")) {
            String sql = raw.strip();
            String upper = sql.toUpperCase(Locale.ROOT);
            if (sql.isEmpty() || upper.startsWith("DROP") || upper.equals("COMMIT")) {
                continue;
            }
            if (upper.startsWith("CREATE TABLE ") && !upper.startsWith("CREATE TABLE IF NOT EXISTS")) {
                sql = "CREATE TABLE IF NOT EXISTS " + sql.substring("CREATE TABLE ".length());
            } else if (upper.startsWith("CREATE INDEX ") && !upper.startsWith("CREATE INDEX IF NOT EXISTS")) {
                sql = "CREATE INDEX IF NOT EXISTS " + sql.substring("CREATE INDEX ".length());
            }
            out.add(sql);
        }
        return out;
    }
}
