package io.understudy.scheduler.cloudit;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import io.understudy.scheduler.records.JdbcRecords;
import io.understudy.scheduler.records.Records;
import io.understudy.scheduler.records.RecordsContract;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The shared records in the single-machine cloud's MariaDB, as standby controllers keep them:
 * the same contract as the files, and a connection the database dropped is replaced.
 */
class JdbcRecordsCloudIT extends RecordsContract {

    private static final String DATABASE = "understudy_records_it";
    private static final String USER = "understudy_it";
    private static final String URL = "jdbc:mariadb://127.0.0.1:3306/" + DATABASE;
    private static Cloud cloud;
    private final List<Connection> opened = new ArrayList<>();

    @BeforeAll
    static void database() {
        cloud = new Cloud();
        cloud.mariadbRoot("CREATE DATABASE IF NOT EXISTS " + DATABASE + " CHARACTER SET utf8mb4;"
                + " CREATE USER IF NOT EXISTS '" + USER + "'@'127.0.0.1' IDENTIFIED BY 'it-secret';"
                + " ALTER USER '" + USER + "'@'127.0.0.1' IDENTIFIED BY 'it-secret';"
                + " GRANT ALL PRIVILEGES ON " + DATABASE + ".* TO '" + USER + "'@'127.0.0.1';");
    }

    @BeforeEach
    void empty() {
        cloud.mariadbRoot("DROP TABLE IF EXISTS " + DATABASE + ".UNDERSTUDY_RECORDS;");
    }

    @AfterEach
    void close() throws SQLException {
        for (Connection c : opened) {
            c.close();
        }
    }

    private Supplier<Connection> connector() {
        return () -> {
            try {
                Connection c = DriverManager.getConnection(URL, USER, "it-secret");
                opened.add(c);
                return c;
            } catch (SQLException e) {
                throw new IllegalStateException(e.getMessage(), e);
            }
        };
    }

    @Override
    protected Records records() {
        return new JdbcRecords(connector(), URL);
    }

    @Test
    void twoControllersSeeOneAnothersRecords() {
        Records a = records();
        Records b = records();
        assertThat(a.create("moves", "vm-1", "{\"by\":\"a\"}".getBytes(UTF_8))).isTrue();
        assertThat(b.create("moves", "vm-1", "{\"by\":\"b\"}".getBytes(UTF_8))).as("b's claim on a's VM").isFalse();
        b.put("forced-down", "compute1", "{}".getBytes(UTF_8));
        assertThat(a.all("forced-down")).containsOnlyKeys("compute1");
    }

    @Test
    void aConnectionTheDatabaseDroppedIsReplaced() throws SQLException {
        Records r = records();
        r.put("fences", "compute1", "{}".getBytes(UTF_8));
        opened.get(0).close();
        assertThat(r.get("fences", "compute1")).isPresent();
        assertThat(opened).hasSize(2);
    }
}
