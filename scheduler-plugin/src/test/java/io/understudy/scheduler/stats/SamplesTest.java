package io.understudy.scheduler.stats;

import static org.assertj.core.api.Assertions.assertThat;

import io.understudy.agent.api.HostStats;
import io.understudy.nova.state.ComputeService;
import io.understudy.scheduler.testing.FakeAgents;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class SamplesTest {

    private static final Instant NOW = Instant.parse("2026-11-29T06:00:00Z");

    private static ComputeService service(String host, boolean up, boolean forced) {
        return new ComputeService(UUID.randomUUID(), host, true, Optional.empty(), up, forced,
                Optional.of(NOW.minusSeconds(4)));
    }

    private static ComputeService disabled(String host, String reason) {
        return new ComputeService(UUID.randomUUID(), host, false, Optional.of(reason), false, true,
                Optional.of(NOW.minusSeconds(4)));
    }

    private static Hypervisor hypervisor(String host) {
        return new Hypervisor(host, "up", 16, 4, 32768, 8192, 1000, 100, 3);
    }

    private static Map<Parameter, Value> values(List<HostSample> samples, String host) {
        return samples.stream().filter(s -> s.host().equals(host)).findFirst().orElseThrow().values();
    }

    @Test
    void novaAndAgentValuesMergePerHost() {
        UUID vm = UUID.randomUUID();
        NovaSnapshot nova = new NovaSnapshot(List.of(service("a", true, false)), List.of(hypervisor("a")), List.of(),
                Map.of(), 3);
        List<HostSample> s = Samples.merge(nova, Map.of("a", AgentReading.of("a",
                FakeAgents.stats("a", 33, 250, Map.of(vm, 7.0, UUID.randomUUID(), 2.0)))), NOW);
        assertThat(values(s, "a")).containsEntry(Parameter.SERVICE_UP, Value.of(true))
                .containsEntry(Parameter.SERVICE_ENABLED, Value.of(true))
                .containsEntry(Parameter.FORCED_DOWN, Value.of(false))
                .containsEntry(Parameter.SERVICE_REPORT_AGE, Value.of(4))
                .containsEntry(Parameter.HYPERVISOR_STATE, Value.of("up"))
                .containsEntry(Parameter.NOVA_VCPUS_FREE, Value.of(12))
                .containsEntry(Parameter.NOVA_RAM_FREE_MIB, Value.of(24576))
                .containsEntry(Parameter.NOVA_DISK_FREE_GIB, Value.of(900))
                .containsEntry(Parameter.RUNNING_VMS, Value.of(3))
                .containsEntry(Parameter.AGENT_REACHABLE, Value.of(true))
                .containsEntry(Parameter.CPU_PERCENT, Value.of(33))
                .containsEntry(Parameter.DISK_FREE_GIB, Value.of(250))
                .containsEntry(Parameter.MEMORY_FREE_MIB, Value.of(4096))
                .containsEntry(Parameter.LOAD1, Value.of(0.5))
                .containsEntry(Parameter.REPLICA_LAG_MAX, Value.of(7));
        assertThat(s.get(0).replicaLagSeconds()).containsEntry(vm, 7.0);
        assertThat(s.get(0).problems()).isEmpty();
    }

    @Test
    void aDisableOfUnderstudysFailoverIsNotTheOperatorsKnobTheHostIsForcedDownAlready() {
        NovaSnapshot nova = new NovaSnapshot(List.of(
                disabled("ours", "Understudy: failover of vm ours -> b at 2026-11-29T05:59:00Z"),
                disabled("operators", "RAM replaced, ticket 42")), List.of(), List.of(), Map.of(), 3);
        List<HostSample> s = Samples.merge(nova, Map.of(), NOW);

        assertThat(values(s, "ours")).containsEntry(Parameter.SERVICE_ENABLED, Value.of(true))
                .containsEntry(Parameter.SERVICE_UP, Value.of(false))
                .containsEntry(Parameter.FORCED_DOWN, Value.of(true));
        assertThat(values(s, "operators")).containsEntry(Parameter.SERVICE_ENABLED, Value.of(false));
    }

    @Test
    void whatDidNotAnswerIsSaidNeverAssumedHealthy() {
        NovaSnapshot nova = new NovaSnapshot(List.of(service("forced", false, true), service("mute", true, false)),
                List.of(hypervisor("mute"), hypervisor("no-service")), List.of(), Map.of(), 3);
        List<HostSample> s = Samples.merge(nova, Map.of("mute", AgentReading.failed("mute", "connection refused")), NOW);
        assertThat(s).extracting(HostSample::host).containsExactly("forced", "mute", "no-service");
        assertThat(values(s, "forced")).containsEntry(Parameter.SERVICE_UP, Value.of(false))
                .containsEntry(Parameter.FORCED_DOWN, Value.of(true));
        assertThat(values(s, "mute")).containsEntry(Parameter.AGENT_REACHABLE, Value.of(false))
                .doesNotContainKeys(Parameter.CPU_PERCENT, Parameter.DISK_FREE_GIB, Parameter.REPLICA_LAG_MAX);
        assertThat(s.get(1).problems()).contains("agent: connection refused");
        assertThat(values(s, "no-service")).containsEntry(Parameter.SERVICE_UP, Value.of(false));
        assertThat(s.get(2).problems()).contains("Nova lists no nova-compute service on this host");
        assertThat(s.get(0).problems()).contains("Nova lists no hypervisor for this host");
    }

    @Test
    void aProtectionTheAgentStoppedIsAProblemOfItsHost() {
        UUID vm = UUID.fromString("0b2f8c1e-9a45-4a4e-8a8c-6f0f2b1a7c3d");
        NovaSnapshot nova = new NovaSnapshot(List.of(service("a", true, false)), List.of(hypervisor("a")), List.of(),
                Map.of(), 3);
        HostStats stats = FakeAgents.stats("a", 33, 250, Map.of());
        stats = new HostStats(stats.host(), stats.time(), stats.cpuPercent(), stats.memoryFreeBytes(),
                stats.memoryTotalBytes(), stats.diskFreeBytes(), stats.diskTotalBytes(), stats.load1(), stats.load5(),
                stats.load15(), stats.runningDomains(), stats.domains(), stats.replicaLagSeconds(), true,
                Map.of(vm, "domain instance-00000001 has no root disk"), stats.replicaVersions());
        List<HostSample> s = Samples.merge(nova, Map.of("a", AgentReading.of("a", stats)), NOW);
        assertThat(s.get(0).problems()).containsExactly(
                "protection of vm " + vm + " stopped: domain instance-00000001 has no root disk");
    }
}
