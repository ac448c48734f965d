package io.understudy.scheduler.moves;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.understudy.nova.action.MoveResult.Outcome;
import io.understudy.scheduler.records.GaleraCluster;
import io.understudy.scheduler.records.JdbcRecords;
import io.understudy.scheduler.records.Records;
import io.understudy.scheduler.testing.TestMetrics;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Two controllers whose shared records go through different nodes of a Galera cluster, where the
 * round lock does not keep their rounds apart (GaleraRoundLockIT): both decide on the same VM at
 * once and start its move, many times. One moves it each time; the other asks Nova nothing, then
 * or once the move has ended.
 */
class GaleraMovesIT {

    private static final int ROUNDS = 100;

    private GaleraCluster cluster;

    @BeforeEach
    void empty() throws Exception {
        cluster = GaleraCluster.running();
        cluster.sql(1, "DROP TABLE IF EXISTS UNDERSTUDY_RECORDS");
    }

    @AfterEach
    void close() throws Exception {
        if (cluster != null) {
            cluster.close();
        }
    }

    /** A controller writing through node NODE, with Nova and agents of its own to count what it asked. */
    private record Controller(Mover mover, FakeNovaMoves nova, Records records) {

        static Controller on(GaleraCluster cluster, int node) {
            Records records = new JdbcRecords(cluster.connector(node), GaleraCluster.url(node));
            FakeNovaMoves nova = new FakeNovaMoves();
            for (int i = 0; i < ROUNDS; i++) {
                nova.liveMigrations.add(Outcome.COMPLETED);
            }
            FakeMoveAgents agents = new FakeMoveAgents().holds("compute2", 1.5);
            Fencers fencers = new Fencers(Map.of(), (host, vm) -> {
                throw new AssertionError("a live migration fences nothing");
            }, new FenceConfirmations(records, Duration.ofMinutes(30)), agents, TestMetrics.fresh(), Clock.systemUTC());
            Mover mover = new Mover(new MoveSteps(nova, agents, fencers, new Designator(agents, records),
                    new ForcedDownHosts(records), false, Duration.ofMinutes(5), Clock.systemUTC()), new RecordJournal(records),
                    TestMetrics.fresh(), Clock.systemUTC());
            return new Controller(mover, nova, records);
        }

        long migrations() {
            return nova.calls.stream().filter(c -> c.startsWith("liveMigrate")).count();
        }
    }

    @Test
    void ofTwoControllersStartingOneMoveThroughDifferentNodesOneCarriesItOutEveryTime() throws Exception {
        List<Controller> controllers = List.of(Controller.on(cluster, 1), Controller.on(cluster, 2));
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            for (int round = 0; round < ROUNDS; round++) {
                MovePlan plan = new MovePlan(UUID.randomUUID(), MoveKind.LIVE_MIGRATION, "compute1", "compute2",
                        List.of("compute2"), Duration.ofSeconds(30), "round " + round);
                // Both decide on the same reading of the VM's claim (none yet), then start at once.
                CountDownLatch ready = new CountDownLatch(2);
                CountDownLatch go = new CountDownLatch(1);
                List<Future<String>> started = new ArrayList<>();
                for (Controller c : controllers) {
                    started.add(pool.submit(() -> {
                        ready.countDown();
                        go.await();
                        try {
                            return c.mover().start(plan, 0).status().name();
                        } catch (MoveConflictException e) {
                            return "not started: " + e.getMessage();
                        }
                    }));
                }
                ready.await();
                go.countDown();
                List<String> outcomes = new ArrayList<>();
                for (Future<String> f : started) {
                    outcomes.add(f.get());
                }
                assertThat(outcomes).as("round %d", round).containsOnlyOnce("DONE")
                        .filteredOn(o -> !o.equals("DONE")).singleElement().asString().startsWith("not started: ");
                // The loser's round goes on from what it read before: the move has ended since, and
                // no open move stands in the way any more; the claim does.
                Controller loser = controllers.get(outcomes.indexOf("DONE") == 0 ? 1 : 0);
                assertThatThrownBy(() -> loser.mover().start(plan, 0)).as("round %d, again", round)
                        .isInstanceOf(MoveConflictException.class).hasMessageContaining("another controller claimed");
            }
            assertThat(controllers.get(0).migrations() + controllers.get(1).migrations())
                    .as("live migrations Nova was asked for").isEqualTo(ROUNDS);
            Records records = controllers.get(0).records();
            assertThat(records.all(RecordJournal.ENDED)).as("moves ended, in the shared records").hasSize(ROUNDS);
            assertThat(records.all(RecordJournal.OPEN)).as("moves left open").isEmpty();
            System.out.printf("GaleraMovesIT: %d moves raced by two controllers on two nodes: node 1 carried out %d,"
                    + " node 2 %d%n", ROUNDS, controllers.get(0).migrations(), controllers.get(1).migrations());
        } finally {
            pool.shutdownNow();
        }
    }
}
