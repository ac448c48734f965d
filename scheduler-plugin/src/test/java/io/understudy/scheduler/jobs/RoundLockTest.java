package io.understudy.scheduler.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

class RoundLockTest {

    @Test
    void aRoundWaitsForTheOneHoldingTheLockAndGivesUpItsTurnAfterItsWait() throws Exception {
        try (RoundLock lock = new RoundLock(Optional.empty())) {
            CountDownLatch holding = new CountDownLatch(1);
            CountDownLatch finish = new CountDownLatch(1);
            CompletableFuture<Optional<String>> first = CompletableFuture.supplyAsync(() -> lock.holding(
                    Duration.ofSeconds(5), () -> {
                        holding.countDown();
                        await(finish);
                        return "first";
                    }));
            holding.await();
            assertThat(lock.holding(Duration.ofMillis(100), () -> "second")).as("its turn never came").isEmpty();
            finish.countDown();
            assertThat(first.get()).contains("first");
            assertThat(lock.holding(Duration.ofMillis(100), () -> "third")).contains("third");
        }
    }

    private static void await(CountDownLatch latch) {
        try {
            latch.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
