package io.understudy.scheduler.moves;

import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.wireMockConfig;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.github.tomakehurst.wiremock.WireMockServer;
import io.understudy.agent.api.AgentClient;
import io.understudy.nova.action.MoveResult.Outcome;
import io.understudy.nova.client.NovaException;
import io.understudy.nova.state.ComputeServices;
import io.understudy.scheduler.detect.HostReport;
import io.understudy.scheduler.detect.HostState;
import io.understudy.scheduler.metrics.ControllerMetrics;
import io.understudy.scheduler.metrics.CountedNova;
import io.understudy.scheduler.records.FileRecords;
import io.understudy.scheduler.testing.FakeNova;
import io.understudy.scheduler.testing.TestMetrics;
import java.net.URI;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The controller's metrics after moves played against in-memory Nova and agents: their
 * Prometheus names (units in the names, _total only on counters, no unit in a label) and values.
 */
class MoveMetricsTest {

    @TempDir
    Path dir;

    private final ControllerMetrics metrics = TestMetrics.fresh();
    private final FakeNovaMoves nova = new FakeNovaMoves();
    private final FakeMoveAgents agents = new FakeMoveAgents().holds("compute2", 1.5).holds("compute3", 2.5);

    private Mover mover() {
        Fencers fencers = new Fencers(Map.of(), new CountedFencer("process", MoverTest.FENCED, metrics),
                new FenceConfirmations(new FileRecords(dir), Duration.ofMinutes(30)), agents, metrics,
                Clock.systemUTC());
        return new Mover(new MoveSteps(nova, agents, fencers, new Designator(agents, new FileRecords(dir)),
                new ForcedDownHosts(new FileRecords(dir)), false, Duration.ofMinutes(5), Clock.systemUTC()),
                new RecordJournal(new FileRecords(dir)), metrics, Clock.systemUTC());
    }

    private String scrape() {
        return metrics.scrape(List.of(new HostReport("compute1", HostState.OK, "agent answers", Instant.EPOCH),
                new HostReport("compute2", HostState.FAILED, "agent missed 3 probes", Instant.EPOCH)));
    }

    @Test
    void movesAreCountedByKindAndOutcomeWithTheirDurationsAndFencesByFencer() {
        Instant now = Instant.now();
        nova.service("compute1", false, now.minusSeconds(30)).service("compute2", true, now)
                .service("compute3", true, now);
        nova.liveMigrations.add(Outcome.COMPLETED);
        assertThat(mover().start(MoverTest.LIVE).status()).isEqualTo(MoveState.Status.DONE);
        nova.evacuations.add(Outcome.FAILED);
        assertThat(mover().start(MoverTest.FAILOVER).status()).isEqualTo(MoveState.Status.NEEDS_OPERATOR);

        String text = scrape();

        assertThat(text).contains("# TYPE understudy_controller_move_duration_seconds histogram")
                .containsPattern(line("understudy_controller_move_duration_seconds_count{kind=\"live_migration\","
                        + "outcome=\"done\"} 1"))
                .containsPattern(line("understudy_controller_move_duration_seconds_bucket{kind=\"live_migration\","
                        + "outcome=\"done\",le=\"5.0\"} 1"))
                .containsPattern(line("understudy_controller_move_duration_seconds_count{kind=\"failover\","
                        + "outcome=\"needs_operator\"} 1"))
                .containsPattern(line("understudy_controller_fences_total{fencer=\"process\",outcome=\"fenced\"} 1"))
                .containsPattern(line("understudy_controller_host_detection_state{host=\"compute2\",state=\"failed\"} 1"))
                .containsPattern(line("understudy_controller_host_detection_state{host=\"compute2\",state=\"ok\"} 0"))
                .containsPattern(line("understudy_controller_host_detection_state{host=\"compute1\",state=\"ok\"} 1"));
        assertThat(text.lines().filter(l -> !l.startsWith("#") && l.contains("_total")))
                .as("_total only on counters").allMatch(l -> l.matches("understudy_controller_\\w+_total\\{.*"));
        assertThat(text).doesNotContain("unit=").doesNotContainPattern("=\"\\d+(ms|s|bytes)\"");
    }

    @Test
    void aFenceConfirmedByHandAndFailedRequestsToAgentsAndNovaAreCounted() {
        new FenceConfirmations(new FileRecords(dir), Duration.ofMinutes(30)).record(
                new FenceConfirmations.Confirmation("compute2", Instant.now(), "ops", "cords pulled"));
        agents.away.add("compute2");
        Fencers fencers = new Fencers(Map.of(), MoverTest.FENCED, new FenceConfirmations(new FileRecords(dir),
                Duration.ofMinutes(30)), agents, metrics, Clock.systemUTC());
        assertThat(fencers.fence("compute2", MoverTest.VM).proof()).isPresent();

        DirectoryAgents dead = new DirectoryAgents(host -> new AgentClient(URI.create("http://127.0.0.1:1/"), "token",
                null, Duration.ofSeconds(1)), metrics);
        assertThat(dead.answers("compute9")).isFalse();
        assertThat(dead.answers("compute9")).isFalse();

        WireMockServer wireMock = new WireMockServer(wireMockConfig().dynamicPort());
        wireMock.start();
        new FakeNova(wireMock).fail("/os-services", 503);
        CountedNova counted = new CountedNova(FakeNova.client(wireMock, Duration.ofSeconds(2)), metrics);
        assertThatThrownBy(() -> counted.get("/os-services", ComputeServices.VERSION)).isInstanceOf(NovaException.class);
        assertThatThrownBy(() -> counted.get("/os-services", ComputeServices.VERSION)).isInstanceOf(NovaException.class);
        wireMock.stop();
        assertThatThrownBy(() -> counted.get("/os-services", ComputeServices.VERSION))
                .as("Nova does not answer").isInstanceOf(NovaException.class);

        assertThat(scrape())
                .containsPattern(line("understudy_controller_fences_total{fencer=\"confirmed\",outcome=\"fenced\"} 1"))
                .containsPattern(line("understudy_controller_agent_request_errors_total{host=\"compute9\","
                        + "request=\"health\"} 2"))
                .containsPattern(line("understudy_controller_nova_request_errors_total{status=\"503\"} 2"))
                .containsPattern(line("understudy_controller_nova_request_errors_total{status=\"none\"} 1"));
    }

    /** A whole line of the text: NAME_AND_LABELS then its value (Micrometer writes 1.0). */
    private static Pattern line(String nameAndLabels) {
        return Pattern.compile("(?m)^" + Pattern.quote(nameAndLabels.substring(0, nameAndLabels.lastIndexOf(' ')))
                + " " + Pattern.quote(nameAndLabels.substring(nameAndLabels.lastIndexOf(' ') + 1)) + "(\\.0)?$");
    }
}
