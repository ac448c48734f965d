package io.understudy.scheduler.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import io.understudy.scheduler.records.GaleraCluster;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Why a move is claimed in the shared records: the round lock is MariaDB's {@code GET_LOCK}, which
 * each Galera node keeps to itself. Two controllers connected to different nodes both hold it;
 * only connected to the same node (what a proxy sending every write to one node gives) does one wait.
 */
class GaleraRoundLockIT {

    private GaleraCluster cluster;

    @BeforeEach
    void cluster() {
        cluster = GaleraCluster.running();
    }

    @AfterEach
    void close() throws Exception {
        if (cluster != null) {
            cluster.close();
        }
    }

    /** Whether a controller on node SECOND gets the round lock while one on node FIRST holds it. */
    private boolean bothHoldIt(int first, int second) {
        try (RoundLock a = new RoundLock(Optional.of(cluster.connector(first)));
                RoundLock b = new RoundLock(Optional.of(cluster.connector(second)))) {
            return a.holding(Duration.ofSeconds(5), () -> b.holding(Duration.ofSeconds(1), () -> true).orElse(false))
                    .orElseThrow(() -> new AssertionError("the first controller did not get the lock at all"));
        }
    }

    @Test
    void controllersOnDifferentGaleraNodesBothHoldTheRoundLock() {
        assertThat(bothHoldIt(1, 2)).as("node 2 grants GET_LOCK while node 1 holds it: the lock is node-local").isTrue();
    }

    @Test
    void controllersOnOneNodeTakeTurns() {
        assertThat(bothHoldIt(1, 1)).as("one node: the second waits and gives up its turn").isFalse();
    }
}
