package io.understudy.scheduler.moves;

import static org.assertj.core.api.Assertions.assertThat;

import io.understudy.agent.api.FenceResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The agent and process fencers: what counts as their proof, and every way there is none. */
class FencerTest {

    private static final UUID VM = UUID.fromString("0b5c1f3e-8d2a-4c6b-9e7f-1a2b3c4d5e6f");

    @TempDir
    Path dir;

    private final FakeMoveAgents agents = new FakeMoveAgents();

    @Test
    void theAgentDestroysTheDomainAndLibvirtConfirmsIt() {
        agents.destroys.put("compute1", new FenceResult(VM, "compute1", true, true, "SHUTOFF"));

        Fencer.Fence fence = new AgentFencer(agents, Clock.systemUTC()).fence("compute1", VM);

        assertThat(fence.proof()).get().satisfies(p -> assertThat(p.how())
                .isEqualTo("agent on compute1: destroyed its domain, libvirt now SHUTOFF"));
        assertThat(fence.note()).isEqualTo("compute1 fenced for vm " + VM + ": its agent destroyed its domain, "
                + "libvirt now SHUTOFF");
        assertThat(fence.agentRequests()).isEqualTo(1);
        assertThat(agents.calls).containsExactly("destroyDomain compute1");
    }

    @Test
    void anAgentThatCannotConfirmOrSpeaksForAnotherHostIsNoFence() {
        agents.away.add("compute1");
        assertThat(new AgentFencer(agents, Clock.systemUTC()).fence("compute1", VM).note())
                .isEqualTo("agent: compute1's agent did not confirm vm " + VM + " stopped: http://compute1:9797: "
                        + "connection refused");

        agents.away.clear();
        agents.destroys.put("compute1", new FenceResult(VM, "compute2", true, true, "SHUTOFF"));
        Fencer.Fence elsewhere = new AgentFencer(agents, Clock.systemUTC()).fence("compute1", VM);
        assertThat(elsewhere.proof()).isEmpty();
        assertThat(elsewhere.note()).isEqualTo("agent: the agent at http://compute1:9797 speaks for compute2, "
                + "not compute1");

        agents.destroys.put("compute1", new FenceResult(VM, "compute1", true, false, "RUNNING"));
        assertThat(new AgentFencer(agents, Clock.systemUTC()).fence("compute1", VM).proof()).isEmpty();
    }

    @Test
    void aCommandThatExitsZeroFencesWithTheHostAndVmInIt() throws Exception {
        Path log = dir.resolve("args");

        Fencer.Fence fence = process(Duration.ofSeconds(10), "echo \"$@\" > " + log + "; echo stopped nova-compute-$1")
                .fence("compute1", VM);

        assertThat(fence.proof()).as(fence.note()).get().satisfies(p -> assertThat(p.how()).endsWith("exited 0: "
                + "stopped nova-compute-compute1"));
        assertThat(Files.readString(log).strip()).isEqualTo("compute1 " + VM);
    }

    @Test
    void aCommandThatFailsTimesOutOrCannotRunIsNoFence() {
        Fencer.Fence failed = process(Duration.ofSeconds(10), "echo \"nova-compute-$1 is still running\" >&2; exit 3")
                .fence("compute1", VM);
        assertThat(failed.proof()).isEmpty();
        assertThat(failed.note()).startsWith("process: 'sh -c ").endsWith(" exited 3: nova-compute-compute1 is still "
                + "running");

        long began = System.nanoTime();
        Fencer.Fence slow = process(Duration.ofMillis(300), "sleep 30").fence("compute1", VM);
        assertThat(Duration.ofNanos(System.nanoTime() - began)).isLessThan(Duration.ofSeconds(5));
        assertThat(slow.proof()).isEmpty();
        assertThat(slow.note()).contains(" did not end within 300 ms");

        Fencer.Fence missing = new ProcessFencer(List.of(dir.resolve("no-such-script").toString(), "{host}"),
                Duration.ofSeconds(1), Clock.systemUTC()).fence("compute1", VM);
        assertThat(missing.proof()).isEmpty();
        assertThat(missing.note())
                .startsWith("process: '" + dir.resolve("no-such-script") + " compute1' could not run: ");
    }

    @Test
    void aProcessFenceCountsOnceTheHostsAgentIsSilentOrHasDestroyedTheGuest() {
        Fencer stopped = new AgentChecked(process(Duration.ofSeconds(10), "echo nova-compute-$1 killed"), agents,
                Clock.systemUTC());

        assertThat(stopped.fence("compute1", VM).proof()).get().satisfies(p -> assertThat(p.how())
                .endsWith("exited 0: nova-compute-compute1 killed; agent on compute1: its domain was not running, "
                        + "libvirt now ABSENT"));

        agents.destroys.put("compute1", new FenceResult(VM, "compute1", true, false, "RUNNING"));
        Fencer.Fence guestRuns = stopped.fence("compute1", VM);
        assertThat(guestRuns.proof()).isEmpty();
        assertThat(guestRuns.note()).isEqualTo("compute1's agent answers and did not destroy the VM (agent: "
                + "compute1's agent reports vm " + VM + " RUNNING after destroying it)");

        agents.away.add("compute1");
        assertThat(stopped.fence("compute1", VM).note()).endsWith("killed; its agent silent");
        assertThat(new AgentChecked(process(Duration.ofSeconds(10), "exit 1"), agents, Clock.systemUTC())
                .fence("compute1", VM).note()).as("a failed fence asks no agent").endsWith("exited 1");
    }

    /** A fencer running SCRIPT with sh, the host and the VM as $1 and $2. */
    private static ProcessFencer process(Duration timeout, String script) {
        return new ProcessFencer(List.of("sh", "-c", script, "fence", "{host}", "{vm}"), timeout, Clock.systemUTC());
    }
}
