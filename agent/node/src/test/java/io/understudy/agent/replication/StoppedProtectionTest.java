package io.understudy.agent.replication;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A stopped protection as a primary's state holds it: kept across restarts of the agent, and a
 * restart forgets the checkpoint and the root disk, so the next round is full on whatever disk
 * the domain has then.
 */
class StoppedProtectionTest {

    private static final UUID VM = UUID.fromString("6f1c2a9e-0d4b-4c3e-9a51-2b7d8e6f0a13");

    @TempDir
    Path dir;

    @Test
    void stoppingKeepsWhatTheRoundsMadeAndRestartingForgetsTheCheckpointAndTheDisk() {
        Primary.State replicating = new Primary.State(VM, 7, Optional.of("understudy-6f1c2a9e-7"), 1 << 20, "m", "00",
                List.of(6L, 7L), Optional.empty(), Map.of("compute2", new Primary.Peer(7, false, null)), 1000, 0.5, false,
                null, 0, 0, Optional.empty(), Optional.of("/var/lib/nova/instances/" + VM + "/disk"), Optional.empty());
        Primary.State stopped = replicating.withStopped(Optional.of("no root disk"));
        assertThat(stopped.stopped()).contains("no root disk");
        assertThat(stopped.lastError()).isEqualTo("no root disk");
        assertThat(stopped.checkpoint()).isEqualTo(replicating.checkpoint());
        assertThat(stopped.rootDisk()).isEqualTo(replicating.rootDisk());
        assertThat(stopped.version()).isEqualTo(7);
        assertThat(stopped.peers()).isEqualTo(replicating.peers());

        Primary.State restarted = stopped.withStopped(Optional.empty());
        assertThat(restarted.stopped()).isEmpty();
        assertThat(restarted.checkpoint()).as("the next round is full").isEmpty();
        assertThat(restarted.rootDisk()).as("the next round takes the disk the domain has").isEmpty();
        assertThat(restarted.version()).isEqualTo(7);
        assertThat(restarted.journal()).containsExactly(6L, 7L);
    }

    @Test
    void aStoppedProtectionStaysStoppedAcrossAnAgentRestartUntilRestarted() throws IOException {
        Path vmDir = dir.resolve(VM.toString());
        assertThat(Primary.exists(vmDir)).isFalse();
        Primary.open(vmDir, VM, Optional.empty()).stop("domain instance-00000001 has no root disk");
        assertThat(Primary.exists(vmDir)).isTrue();

        Primary reopened = Primary.open(vmDir, VM, Optional.empty());
        assertThat(reopened.state().stopped()).contains("domain instance-00000001 has no root disk");
        assertThat(reopened.restart()).isEmpty();
        assertThat(Primary.open(vmDir, VM, Optional.empty()).state().stopped()).isEmpty();
    }

    @Test
    void aStateWrittenBeforeStoppedProtectionsReadsAsReplicatingWithNoDiskKnown() throws IOException {
        Path vmDir = Files.createDirectories(dir.resolve(VM.toString()));
        Primary.open(vmDir, VM, Optional.empty());
        Path state = vmDir.resolve("state.json");
        String json = Files.readString(state);
        Files.writeString(state, json.replaceAll(",\\s*\"rootDisk\"\\s*:\\s*null", "")
                .replaceAll(",\\s*\"stopped\"\\s*:\\s*null", ""));
        assertThat(Files.readString(state)).doesNotContain("rootDisk").doesNotContain("stopped");
        Primary.State s = Primary.open(vmDir, VM, Optional.empty()).state();
        assertThat(s.stopped()).isEmpty();
        assertThat(s.rootDisk()).isEmpty();
    }
}
