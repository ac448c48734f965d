package io.understudy.scheduler.stats;

import static org.assertj.core.api.Assertions.assertThat;

import io.understudy.scheduler.testing.FakeAgents;
import io.understudy.scheduler.testing.TestMetrics;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Against agents played by in-process HTTP servers (the agent daemon is being written alongside). */
class AgentReaderTest {

    private final FakeAgents agents = new FakeAgents(Duration.ofSeconds(2));
    private final ExecutorService pool = Executors.newFixedThreadPool(8);

    @AfterEach
    void stop() {
        agents.close();
        pool.shutdownNow();
    }

    @Test
    void everyKindOfSilenceIsAnErrorNeverStats() {
        UUID vm = UUID.randomUUID();
        agents.answer("ok", FakeAgents.stats("ok", 12.5, 300, Map.of(vm, 4.0)))
                .answer("err", FakeAgents.stats("err", 1, 1, Map.of())).mode("err", FakeAgents.Mode.ERROR)
                .answer("slow", FakeAgents.stats("slow", 1, 1, Map.of())).mode("slow", FakeAgents.Mode.SLOW)
                .answer("slow2", FakeAgents.stats("slow2", 1, 1, Map.of())).mode("slow2", FakeAgents.Mode.SLOW)
                .answer("junk", FakeAgents.stats("junk", 1, 1, Map.of())).mode("junk", FakeAgents.Mode.GARBAGE)
                .answer("liar", FakeAgents.stats("someone-else", 1, 1, Map.of()));
        long t0 = System.nanoTime();
        Map<String, AgentReading> r = new AgentReader(agents.directory(), TestMetrics.fresh(), pool)
                .read(List.of("ok", "err", "slow", "slow2", "junk", "liar", "absent"));
        // Two agents that never answer cost one timeout (2 s), not two.
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).as("asked at once, not one after another")
                .isLessThan(Duration.ofMillis(3900));
        assertThat(r.get("ok").stats()).hasValueSatisfying(s -> {
            assertThat(s.cpuPercent()).isEqualTo(12.5);
            assertThat(s.replicaLagSeconds()).containsEntry(vm, 4.0);
        });
        assertThat(r.get("err").error()).hasValueSatisfying(e -> assertThat(e).contains("500").contains("libvirt is gone"));
        assertThat(r.get("slow").error()).isPresent();
        assertThat(r.get("slow2").error()).isPresent();
        assertThat(r.get("junk").error()).isPresent();
        assertThat(r.get("liar").error()).contains("the agent says it is host 'someone-else'");
        assertThat(r.get("absent").error()).isPresent();
        assertThat(r.values().stream().filter(a -> a.stats().isPresent()).count()).isEqualTo(1);
    }
}
