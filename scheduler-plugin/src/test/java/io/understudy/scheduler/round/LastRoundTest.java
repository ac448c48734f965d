package io.understudy.scheduler.round;

import static org.assertj.core.api.Assertions.assertThat;

import io.understudy.scheduler.stats.ProtectedVm;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** What the status API reports from: the newest round, with the VMs on quiet hosts from the last full one. */
class LastRoundTest {

    private static final UUID QUIET = UUID.fromString("00000000-0000-4000-8000-00000000000a");
    private static final UUID BUSY = UUID.fromString("00000000-0000-4000-8000-00000000000b");

    private static ProtectedVm vm(UUID id, String primary) {
        return new ProtectedVm(id, "vm-" + id.toString().substring(35), primary, "m1", 1, Map.of(), Map.of(), List.of());
    }

    private static RoundResult round(Optional<String> failure, ProtectedVm... vms) {
        return new RoundResult(Instant.EPOCH, Instant.EPOCH, failure, "rules.yaml", List.of(), Optional.empty(),
                Optional.empty(), List.of(vms), vms.length, 0, List.of(), List.of(), List.of(), RoundState.INITIAL);
    }

    @Test
    void nothingIsSeenBeforeARoundThatReadNova() {
        LastRound last = new LastRound();
        last.record(round(Optional.of("Nova could not be read")), true);
        assertThat(last.seen()).isEmpty();
    }

    @Test
    void aLeanRoundIsCompletedByTheVmsOfTheLastFullRoundThatItLeftOut() {
        LastRound last = new LastRound();
        RoundResult full = round(Optional.empty(), vm(QUIET, "compute1"), vm(BUSY, "compute2"));
        RoundResult lean = round(Optional.empty(), vm(BUSY, "compute3"));
        last.record(full, true);
        last.record(lean, false);
        last.record(round(Optional.of("Nova could not be read")), false);

        LastRound.Seen seen = last.seen().orElseThrow();
        assertThat(seen.round()).as("a round that failed is not kept").isSameAs(lean);
        assertThat(seen.quiet()).as("BUSY as the newest round saw it, QUIET from the full round")
                .extracting(ProtectedVm::id).containsExactly(QUIET);

        last.record(full, true);
        assertThat(last.seen().orElseThrow().quiet()).as("a full round left nothing out").isEmpty();
    }
}
