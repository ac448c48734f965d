package io.understudy.scheduler.records;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * The two-node Galera cluster of {@code devstack/galera.sh} (node 1 on 127.0.0.1:3307, node 2 on
 * 3308), as the tests of controllers writing through different nodes use it. Its tests are skipped
 * with an assumption saying so when the cluster does not run; {@code bin/test-all} starts it as root.
 */
public final class GaleraCluster implements AutoCloseable {

    private static final Path DIR = Path.of(System.getenv().getOrDefault("UNDERSTUDY_GALERA_DIR",
            "/var/lib/understudy-galera"));
    private static final String DATABASE = "understudy_galera_it";
    private static final String USER = "understudy_it";

    private final String password;
    private final List<Connection> opened = new ArrayList<>();

    private GaleraCluster(String password) {
        this.password = password;
    }

    /** The cluster, both nodes synced in a cluster of two; the calling test is skipped otherwise. */
    public static GaleraCluster running() {
        Path secret = DIR.resolve("secrets/it-password");
        String password;
        try {
            password = Files.readString(secret).strip();
        } catch (IOException e) {
            assumeTrue(false, "the two-node Galera cluster is not running (no readable " + secret
                    + "); start it as root with devstack/galera.sh up, as bin/test-all does");
            throw new IllegalStateException("unreachable");
        }
        GaleraCluster cluster = new GaleraCluster(password);
        for (int node = 1; node <= 2; node++) {
            String state;
            try (Connection c = cluster.open(node); Statement s = c.createStatement();
                    ResultSet r = s.executeQuery("SELECT (SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS"
                            + " WHERE VARIABLE_NAME = 'WSREP_LOCAL_STATE_COMMENT'), (SELECT VARIABLE_VALUE FROM"
                            + " information_schema.GLOBAL_STATUS WHERE VARIABLE_NAME = 'WSREP_CLUSTER_SIZE')")) {
                r.next();
                state = r.getString(1) + " in a cluster of " + r.getString(2);
            } catch (SQLException e) {
                state = e.getMessage();
            }
            assumeTrue(state.equals("Synced in a cluster of 2"), "the two-node Galera cluster is not running: node "
                    + node + " (" + url(node) + ") is " + state + "; start it as root with devstack/galera.sh up");
        }
        return cluster;
    }

    /** Node NODE's test database. */
    public static String url(int node) {
        return "jdbc:mariadb://127.0.0.1:" + (3306 + node) + "/" + DATABASE;
    }

    /**
     * New connections to node NODE, each closed with the cluster. Reads wait for what other nodes
     * committed before (wsrep_sync_wait): a test that goes on from a winner's write sees it.
     */
    public Supplier<Connection> connector(int node) {
        return () -> {
            try {
                Connection c = open(node);
                synchronized (opened) {
                    opened.add(c);
                }
                return c;
            } catch (SQLException e) {
                throw new IllegalStateException(url(node) + ": " + e.getMessage(), e);
            }
        };
    }

    /** Runs SQL on node NODE. */
    public void sql(int node, String sql) throws SQLException {
        try (Connection c = open(node); Statement s = c.createStatement()) {
            s.execute(sql);
        }
    }

    /** A global status value of node NODE, e.g. wsrep_local_cert_failures. */
    public long status(int node, String name) throws SQLException {
        try (Connection c = open(node); Statement s = c.createStatement();
                ResultSet r = s.executeQuery("SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS"
                        + " WHERE VARIABLE_NAME = '" + name.toUpperCase(java.util.Locale.ROOT) + "'")) {
            return r.next() ? Long.parseLong(r.getString(1)) : 0;
        }
    }

    private Connection open(int node) throws SQLException {
        return DriverManager.getConnection(url(node) + "?sessionVariables=wsrep_sync_wait=1", USER, password);
    }

    @Override
    public void close() throws SQLException {
        synchronized (opened) {
            for (Connection c : opened) {
                c.close();
            }
            opened.clear();
        }
    }
}
