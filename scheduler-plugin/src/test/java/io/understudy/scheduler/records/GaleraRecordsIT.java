package io.understudy.scheduler.records;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The shared records on a two-node Galera cluster: the records' contract through one node, and two
 * controllers claiming the same record at once through different nodes, where only Galera's
 * certification of the commits can tell them apart.
 */
class GaleraRecordsIT extends RecordsContract {

    private static final int ROUNDS = 200;

    private GaleraCluster cluster;

    @BeforeEach
    void empty() throws SQLException {
        cluster = GaleraCluster.running();
        cluster.sql(1, "DROP TABLE IF EXISTS " + JdbcRecords.TABLE);
    }

    @AfterEach
    void close() throws SQLException {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Override
    protected Records records() {
        return on(1);
    }

    private Records on(int node) {
        return new JdbcRecords(cluster.connector(node), GaleraCluster.url(node));
    }

    /**
     * Each round, a controller on each node claims the same VM from the same version, released
     * together: first a VM never claimed (both insert its claim), then the version the winner made
     * (both update it). The winner records its effect; the loser must record none.
     */
    @Test
    void ofTwoControllersClaimingThroughDifferentNodesExactlyOneWinsEveryTime() throws Exception {
        Records[] controllers = {on(1), on(2)};
        Records effects = on(1);
        long certFailures = cluster.status(1, "wsrep_local_cert_failures") + cluster.status(2, "wsrep_local_cert_failures");
        long aborts = cluster.status(1, "wsrep_local_bf_aborts") + cluster.status(2, "wsrep_local_bf_aborts");
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            int[] wins = new int[2];
            for (int round = 0; round < ROUNDS; round++) {
                String vm = "vm-" + round;
                long seen = 0;
                for (String phase : List.of("insert", "update")) {
                    List<OptionalLong> claims = race(pool, controllers, vm, seen, phase);
                    List<Integer> won = new ArrayList<>();
                    for (int c = 0; c < 2; c++) {
                        if (claims.get(c).isPresent()) {
                            won.add(c);
                            wins[c]++;
                            // What the move would do: only ever by the winner.
                            effects.put("it-effects", vm + "-" + phase + "-by-" + c, b("moved"));
                        }
                    }
                    assertThat(won).as("round %d, %s: winners", round, phase).hasSize(1);
                    seen = claims.get(won.get(0)).getAsLong();
                    assertThat(controllers[1 - won.get(0)].versions("it-claims")).as("the loser sees the winner's claim")
                            .containsEntry(vm, seen);
                }
            }
            assertThat(effects.all("it-effects")).as("one effect per claim raced").hasSize(2 * ROUNDS);
            System.out.printf("GaleraRecordsIT: %d claims raced through two nodes: node 1 won %d, node 2 won %d;"
                    + " certification failures %d, brute-force aborts %d%n", 2 * ROUNDS, wins[0], wins[1],
                    cluster.status(1, "wsrep_local_cert_failures") + cluster.status(2, "wsrep_local_cert_failures")
                            - certFailures,
                    cluster.status(1, "wsrep_local_bf_aborts") + cluster.status(2, "wsrep_local_bf_aborts") - aborts);
        } finally {
            pool.shutdownNow();
        }
    }

    /** Both CONTROLLERS claim VM from SEEN at once; their answers in order. */
    private static List<OptionalLong> race(ExecutorService pool, Records[] controllers, String vm, long seen,
            String phase) throws Exception {
        CountDownLatch ready = new CountDownLatch(controllers.length);
        CountDownLatch go = new CountDownLatch(1);
        List<Future<OptionalLong>> answers = new ArrayList<>();
        for (int c = 0; c < controllers.length; c++) {
            Records r = controllers[c];
            byte[] body = b(phase + " by " + c);
            answers.add(pool.submit(() -> {
                ready.countDown();
                go.await();
                return r.compareAndSet("it-claims", vm, seen, body);
            }));
        }
        ready.await();
        go.countDown();
        List<OptionalLong> claims = new ArrayList<>();
        for (Future<OptionalLong> a : answers) {
            claims.add(a.get());
        }
        return claims;
    }

    @Test
    void aTableFromBeforeTheVersionColumnGetsIt() throws Exception {
        cluster.sql(1, "CREATE TABLE " + JdbcRecords.TABLE + " (KIND VARCHAR(40) NOT NULL, NAME VARCHAR(190) NOT NULL,"
                + " BODY MEDIUMBLOB NOT NULL, UPDATED_AT TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE"
                + " CURRENT_TIMESTAMP(3), PRIMARY KEY (KIND, NAME)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4"
                + " COLLATE=utf8mb4_bin");
        cluster.sql(1, "INSERT INTO " + JdbcRecords.TABLE + " (KIND, NAME, BODY) VALUES ('moves', 'vm-1', '{}')");
        Records r = on(2);
        assertThat(r.versions("moves")).containsExactly(java.util.Map.entry("vm-1", 1L));
        assertThat(r.compareAndSet("moves", "vm-1", 1, b("{\"next\":1}"))).hasValue(2);
        assertThat(on(1).get("moves", "vm-1")).map(body -> new String(body, UTF_8)).contains("{\"next\":1}");
    }

    /**
     * Galera runs DDL in total order and aborts every transaction on the table, on every node: a
     * controller connecting (or reconnecting) must not run any once the table is whole, or it fails
     * another controller's claim in flight.
     */
    @Test
    void aControllerConnectingToAWholeTableRunsNoDdl() throws Exception {
        on(1).put("moves", "vm-1", b("{}"));
        long ddl = cluster.status(2, "com_alter_table") + cluster.status(2, "com_create_table");
        assertThat(on(2).get("moves", "vm-1")).isPresent();
        assertThat(cluster.status(2, "com_alter_table") + cluster.status(2, "com_create_table"))
                .as("DDL statements node 2 ran").isEqualTo(ddl);
    }

    private static byte[] b(String s) {
        return s.getBytes(UTF_8);
    }
}
