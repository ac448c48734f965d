package io.understudy.scheduler.bench;

import static org.assertj.core.api.Assertions.assertThat;

import io.understudy.scheduler.decide.Decision;
import io.understudy.scheduler.decide.Outcome;
import io.understudy.scheduler.round.RoundCore;
import io.understudy.scheduler.round.RoundState;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * The controller's rounds skip building VMs whose primary is quiet; that must not change a single
 * decision: same moves, same targets, same reasons, same counts as deciding every VM.
 */
class RoundCoreTest {

    @Test
    void skippingVmsOnQuietHostsDecidesExactlyAsDecidingEveryVm() {
        Instant t0 = Instant.parse("2026-01-01T00:00:00Z");
        Synthetic data = Synthetic.make(400, 6000, 2, t0, 3);
        RoundCore core = new RoundCore();
        RoundState state = RoundState.INITIAL;
        Instant now = t0;
        for (int round = 0; round < 4; round++) {
            RoundCore.Computed lean = core.compute(data.nova(), data.agents(), data.rules(), Set.of(), now, state, false, Map.of());
            RoundCore.Computed every = core.compute(data.nova(), data.agents(), data.rules(), Set.of(), now, state, true, Map.of());
            assertThat(lean.protectedVms()).isEqualTo(every.protectedVms()).isEqualTo(6000);
            assertThat(lean.vms().size() + lean.quietStays()).isEqualTo(6000);
            assertThat(lean.vms().size()).isLessThan(6000 / 4);
            Map<UUID, String> notStaying = every.decisions().stream().filter(d -> d.outcome() != Outcome.STAY)
                    .collect(Collectors.toMap(Decision::vm, Decision::logLine, (a, b) -> a, TreeMap::new));
            Map<UUID, String> leanNotStaying = lean.decisions().stream().filter(d -> d.outcome() != Outcome.STAY)
                    .collect(Collectors.toMap(Decision::vm, Decision::logLine, (a, b) -> a, TreeMap::new));
            assertThat(leanNotStaying).isEqualTo(notStaying);
            long staysEvery = every.decisions().stream().filter(d -> d.outcome() == Outcome.STAY).count();
            long staysLean = lean.quietStays() + lean.decisions().stream().filter(d -> d.outcome() == Outcome.STAY).count();
            assertThat(staysLean).isEqualTo(staysEvery);
            if (round >= 2) {
                assertThat(notStaying.values()).as("breaches older than their for: count by now")
                        .anyMatch(line -> line.contains(": MOVE live-migrate to "));
            }
            state = new RoundState(lean.evaluation().breaches(), state.lastMoves());
            now = now.plus(Duration.ofMinutes(1));
        }
    }
}
