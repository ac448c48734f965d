package io.understudy.scheduler.cloudit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.understudy.scheduler.cli.Main;
import io.understudy.scheduler.decide.Decision;
import io.understudy.scheduler.decide.Outcome;
import io.understudy.scheduler.rules.MoveAction;
import io.understudy.scheduler.round.EvaluationRound;
import io.understudy.scheduler.round.FailedHosts;
import io.understudy.scheduler.round.RoundResult;
import io.understudy.scheduler.round.RoundState;
import io.understudy.scheduler.round.RulesSource;
import io.understudy.scheduler.stats.AgentReader;
import io.understudy.scheduler.stats.HostSample;
import io.understudy.scheduler.stats.Hypervisor;
import io.understudy.scheduler.stats.NovaReader;
import io.understudy.scheduler.stats.NovaSnapshot;
import io.understudy.scheduler.stats.Parameter;
import io.understudy.scheduler.stats.Value;
import io.understudy.scheduler.testing.FakeAgents;
import io.understudy.scheduler.testing.RecordingMoves;
import io.understudy.scheduler.testing.TestMetrics;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Reads the real single-machine cloud (devstack/local-cloud.sh): its nova-compute services and
 * hypervisors, and a protected server booted for the test. The agents are played by in-process
 * HTTP servers (the agent daemon is being written alongside).
 */
class StatsCloudIT {

    private static final List<String> COMPUTES = List.of("compute1", "compute2", "compute3");

    private static Cloud cloud;
    private final FakeAgents agents = new FakeAgents(Duration.ofSeconds(3));
    private UUID server;

    @TempDir
    Path dir;

    @BeforeAll
    static void connect() {
        cloud = new Cloud();
    }

    @BeforeEach
    void cleanUp() {
        cloud.leftovers().forEach(cloud::delete);
    }

    @AfterEach
    void stop() {
        agents.close();
        if (server != null) {
            cloud.delete(server);
        }
    }

    @Test
    void servicesAndHypervisorsOfTheRealCloudBecomeParameterValues() {
        NovaSnapshot nova = new NovaReader(cloud.nova, 1000).read(false);
        assertThat(nova.services()).extracting(s -> s.host()).containsAll(COMPUTES);
        assertThat(nova.hypervisors()).extracting(Hypervisor::host).containsAll(COMPUTES);
        assertThat(nova.requests()).isEqualTo(3);
        List<HostSample> samples = io.understudy.scheduler.stats.Samples.merge(nova,
                new AgentReader(agents.directory(), TestMetrics.fresh(), Executors.newFixedThreadPool(3)).read(COMPUTES),
                java.time.Instant.now());
        for (String host : COMPUTES) {
            HostSample s = samples.stream().filter(x -> x.host().equals(host)).findFirst().orElseThrow();
            assertThat(s.value(Parameter.SERVICE_UP)).as(host).contains(Value.of(true));
            assertThat(s.value(Parameter.SERVICE_ENABLED)).as(host).contains(Value.of(true));
            assertThat(s.value(Parameter.FORCED_DOWN)).as(host).contains(Value.of(false));
            assertThat(s.value(Parameter.HYPERVISOR_STATE)).as(host).contains(Value.of("up"));
            assertThat(s.value(Parameter.NOVA_VCPUS_FREE)).as(host).hasValueSatisfying(v ->
                    assertThat(((Value.Num) v).value()).isPositive());
            assertThat(s.value(Parameter.NOVA_RAM_FREE_MIB)).as(host).isPresent();
            assertThat(s.value(Parameter.SERVICE_REPORT_AGE)).as(host).hasValueSatisfying(v ->
                    assertThat(((Value.Num) v).value()).isLessThan(60));
            // No agent runs on the cloud's computes: that is said, not papered over.
            assertThat(s.value(Parameter.AGENT_REACHABLE)).as(host).contains(Value.of(false));
            assertThat(s.value(Parameter.CPU_PERCENT)).as(host).isEmpty();
            assertThat(s.problems()).as(host).anyMatch(p -> p.startsWith("agent: "));
        }
    }

    @Test
    void aProtectedServerOnABusyHostIsDecidedOntoItsReplicaHolder() throws Exception {
        // Protected the operator's way, by its flavor's extra spec: the rules say nothing of protection.
        server = cloud.bootProtectedFlavor("busy", "compute1");
        await().atMost(Duration.ofSeconds(90)).until(() -> cloud.status(server).equals("ACTIVE"));
        agents.answer("compute1", FakeAgents.stats("compute1", 97, 500, Map.of()))
                .answer("compute2", FakeAgents.stats("compute2", 10, 500, Map.of(server, 2.0)))
                .answer("compute3", FakeAgents.stats("compute3", 10, 500, Map.of()));
        Path rules = dir.resolve("rules.yaml");
        Files.writeString(rules, "rules: [{parameter: cpu_percent, max: 90}, {parameter: service_up, equals: true}]\n");
        EvaluationRound round = new EvaluationRound(new NovaReader(cloud.nova, 1000),
                new AgentReader(agents.directory(), TestMetrics.fresh(), Executors.newFixedThreadPool(3)),
                new RulesSource(Optional.of(rules)), FailedHosts.NONE, new RecordingMoves(), Clock.systemUTC());
        RoundResult r = round.run(RoundState.INITIAL, true, false);
        assertThat(r.ok()).as(r.failure().orElse("")).isTrue();
        Decision d = r.decisions().stream().filter(x -> x.vm().equals(server)).findFirst().orElseThrow();
        assertThat(d.primary()).isEqualTo("compute1");
        assertThat(d.outcome()).isEqualTo(Outcome.MOVE);
        assertThat(d.action()).contains(MoveAction.LIVE_MIGRATE);
        assertThat(d.target()).contains("compute2");
        assertThat(r.executions()).anyMatch(e -> e.contains(RecordingMoves.NOTE));
        assertThat(cloud.status(server)).as("nothing was moved").isEqualTo("ACTIVE");
    }

    @Test
    void planAndStatusReadTheRealCloudThroughTheCommandLine() throws Exception {
        server = cloud.boot("plan", "compute2", Map.of("understudy:protect", "true"));
        await().atMost(Duration.ofSeconds(90)).until(() -> cloud.status(server).equals("ACTIVE"));
        Path rules = dir.resolve("rules.yaml");
        Files.writeString(rules, Cloud.TENANTS_OPT_IN + "rules: [{parameter: agent_reachable, equals: true}]\n");
        Path config = dir.resolve("controller.yaml");
        // Agents on a port nothing listens on: every host's agent is unreachable.
        Files.writeString(config, "dataDir: " + dir + "\nrules: rules.yaml\nagents: {port: 9, timeout: 1s}\n"
                + "openstack: {cloudsYaml: " + cloud.cloudsYaml + ", cloud: " + Cloud.CONTROLLER_CLOUD + "}\n");

        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int exit = Main.run(new String[] {"plan", "--config", config.toString(), "--json"}, new PrintWriter(out, true),
                new PrintWriter(err, true));
        assertThat(exit).as(err.toString()).isZero();
        JsonNode plan = new ObjectMapper().readTree(out.toString());
        assertThat(plan.get("dryRun").asBoolean()).isTrue();
        JsonNode mine = null;
        for (JsonNode d : plan.get("decisions")) {
            if (d.get("vm").asText().equals(server.toString())) {
                mine = d;
            }
        }
        assertThat(mine).as(out.toString()).isNotNull();
        assertThat(mine.get("primary").asText()).isEqualTo("compute2");
        assertThat(mine.get("outcome").asText()).isEqualTo("NO_TARGET");
        assertThat(mine.get("reasons").toString()).contains("agent_reachable=false outside = true", "it has no secondaries");

        out = new StringWriter();
        exit = Main.run(new String[] {"status", "--config", config.toString()}, new PrintWriter(out, true),
                new PrintWriter(err, true));
        assertThat(exit).as(err.toString()).isZero();
        assertThat(out.toString()).contains("compute1", "compute2", "compute3").contains("OUT").contains(server.toString()).contains("NO_TARGET");
    }
}
