package io.understudy.scheduler.moves;

import io.understudy.scheduler.records.FileRecords;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** An operator's fence confirmation: only for a host Nova knows, only while its agent is silent. */
class ManualFencesTest {

    @TempDir
    Path dir;

    private final FakeNovaMoves nova = new FakeNovaMoves().service("compute1", false, Instant.now())
            .service("compute2", true, Instant.now());
    private final FakeMoveAgents agents = new FakeMoveAgents();

    @Test
    void aConfirmationOfASilentHostIsRecordedDurably() {
        agents.away.add("compute1");

        FenceConfirmations.Confirmation c = fences().confirm("compute1", "alice", "pulled both cords");

        assertThat(dir.resolve("fences/compute1.json")).exists();
        assertThat(confirmations().current("compute1", Instant.now())).contains(c);
        assertThat(confirmations().current("compute1", Instant.now().plus(Duration.ofMinutes(31)))).isEmpty();
        assertThat(confirmations().withdraw("compute1")).isTrue();
        assertThat(confirmations().current("compute1", Instant.now())).isEmpty();
    }

    @Test
    void aHostWhoseAgentAnswersOrThatNovaDoesNotKnowIsRefused() {
        assertThatThrownBy(() -> fences().confirm("compute1", "alice", ""))
                .isInstanceOf(MoveRefusedException.class)
                .hasMessage("compute1's agent answers at http://compute1:9797: the host is not powered off, so it is "
                        + "not fenced");
        assertThatThrownBy(() -> fences().confirm("compute9", "alice", ""))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("Nova knows no nova-compute on compute9 (known: compute1, compute2)");
        assertThat(dir.resolve("fences")).doesNotExist();
    }

    private ManualFences fences() {
        return new ManualFences(nova, agents, confirmations(), Clock.systemUTC());
    }

    private FenceConfirmations confirmations() {
        return new FenceConfirmations(new FileRecords(dir), Duration.ofMinutes(30));
    }
}
