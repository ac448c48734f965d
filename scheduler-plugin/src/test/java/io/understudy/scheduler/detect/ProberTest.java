package io.understudy.scheduler.detect;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpServer;
import io.understudy.agent.api.AgentClient;
import io.understudy.nova.client.NovaClient;
import io.understudy.nova.keystone.ComputeSession;
import io.understudy.scheduler.bmc.PowerChannel;
import io.understudy.scheduler.bmc.PowerReading;
import io.understudy.scheduler.config.DetectionConfig;
import io.understudy.scheduler.stats.NovaReader;
import io.understudy.scheduler.testing.TestMetrics;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The prober against real HTTP servers on 127.0.0.1: agents answering {@code /v1/health} (as
 * themselves, as another host, too late, or not at all: a closed port) and a Nova answering
 * {@code /os-services} with reports as old as each test says, reckoned from the moment it is asked.
 */
class ProberTest {

    /** Probes every 200 ms, 150 ms to answer; Nova's reports every 2 s, silent after 3 s. */
    private static final DetectionConfig CONFIG = new DetectionConfig(Duration.ofMillis(200), Duration.ofMillis(150), 3,
            Duration.ofSeconds(2), Duration.ofSeconds(1), Optional.empty(), Duration.ofSeconds(1), Map.of());

    /** No BMC anywhere. */
    private static final PowerChannel NO_BMC = new PowerChannel() {
        @Override
        public Set<String> hosts() {
            return Set.of();
        }

        @Override
        public Optional<PowerReading> read(String host, Duration timeout) {
            return Optional.empty();
        }
    };

    private final List<HttpServer> servers = new ArrayList<>();
    private final Map<String, URI> agents = new ConcurrentHashMap<>();
    /** Per host with a nova-compute, how long ago it last reported. */
    private final Map<String, Duration> silence = new ConcurrentHashMap<>();
    /** Per host whose nova-compute stopped, its last report (overrides {@link #silence}). */
    private final Map<String, Instant> lastReport = new ConcurrentHashMap<>();
    private final AtomicInteger novaReads = new AtomicInteger();
    private Detection detection = new Detection(new Detector(CONFIG), Clock.systemUTC());
    private Prober prober;

    @AfterEach
    void stop() {
        if (prober != null) {
            prober.close();
        }
        servers.forEach(s -> s.stop(0));
    }

    private HttpServer server(String path, HttpHandler handler) throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 16);
        server.createContext(path, handler);
        server.setExecutor(Executors.newCachedThreadPool());
        server.start();
        servers.add(server);
        return server;
    }

    private static void answer(HttpExchange ex, String json) throws IOException {
        byte[] body = json.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", "application/json");
        ex.sendResponseHeaders(200, body.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(body);
        } catch (IOException e) {
            // the prober gave up waiting: that is the point of a late agent
        }
    }

    /** HOST's agent, answering its health as NAME after DELAY. */
    private HttpServer agent(String host, String name, Duration delay) throws IOException {
        HttpServer server = server("/v1/health", ex -> {
            try {
                Thread.sleep(delay.toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            answer(ex, "{\"host\":\"" + name + "\",\"status\":\"ok\",\"version\":\"0.1.0\",\"uptimeSeconds\":5,"
                    + "\"libvirtReachable\":true,\"time\":\"" + Instant.now() + "\"}");
        });
        agents.put(host, URI.create("http://127.0.0.1:" + server.getAddress().getPort()));
        return server;
    }

    /** HOST's agent address where nothing listens. */
    private void deadAgent(String host) throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            agents.put(host, URI.create("http://127.0.0.1:" + s.getLocalPort()));
        }
    }

    private NovaReader nova() throws IOException {
        HttpServer server = server("/v2.1/os-services", ex -> {
            novaReads.incrementAndGet();
            StringBuilder services = new StringBuilder();
            silence.forEach((host, ago) -> services.append(services.isEmpty() ? "" : ",").append("{\"id\":\"")
                    .append(UUID.nameUUIDFromBytes(host.getBytes(StandardCharsets.UTF_8))).append("\",\"host\":\"")
                    .append(host).append("\",\"binary\":\"nova-compute\",\"status\":\"enabled\",\"state\":\"up\","
                            + "\"forced_down\":false,\"updated_at\":\"")
                    .append(lastReport.getOrDefault(host, Instant.now().minus(ago))).append("\"}"));
            answer(ex, "{\"services\":[" + services + "]}");
        });
        ComputeSession session = new ComputeSession("token", Instant.now().plus(Duration.ofHours(1)),
                URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/v2.1"));
        return new NovaReader(new NovaClient(() -> session, HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .build(), Duration.ofSeconds(2), Clock.systemUTC()), 100);
    }

    private Prober prober(Set<String> configured, PowerChannel power) throws IOException {
        return prober(CONFIG, configured, power);
    }

    private Prober prober(DetectionConfig config, Set<String> configured, PowerChannel power) throws IOException {
        detection = new Detection(new Detector(config), Clock.systemUTC());
        prober = new Prober(config, host -> new AgentClient(agents.get(host), "token", null, CONFIG.probeTimeout()),
                configured, nova(), power, detection, TestMetrics.fresh(), Clock.systemUTC(), Executors.newFixedThreadPool(8));
        return prober;
    }

    private HostReport report(String host) {
        return detection.report().stream().filter(r -> r.host().equals(host)).findFirst().orElseThrow();
    }

    @Test
    void eachHostIsJudgedByItsOwnAnswerAndItsComputesReports() throws Exception {
        agent("compute1", "compute1", Duration.ZERO);
        deadAgent("compute2");
        agent("compute3", "compute3", Duration.ofSeconds(2));
        agent("compute4", "compute9", Duration.ZERO);
        agent("compute5", "compute5", Duration.ZERO);
        silence.put("compute1", Duration.ofSeconds(1));
        silence.put("compute2", Duration.ofSeconds(60));
        silence.put("compute3", Duration.ofSeconds(1));
        silence.put("compute4", Duration.ZERO);
        Prober p = prober(Set.of("compute5"), NO_BMC);
        p.readNova();
        for (int i = 0; i < 3; i++) {
            p.probe();
        }
        assertThat(report("compute1").state()).isEqualTo(HostState.OK);
        assertThat(report("compute2").state()).isEqualTo(HostState.FAILED);
        assertThat(report("compute2").reason()).startsWith("agent missed 3 probes in a row (cannot connect)")
                .contains("nova-compute silent for 1m (report interval 2s + margin 1s)");
        assertThat(report("compute3").state()).as("too late, its compute reporting").isEqualTo(HostState.SUSPECT);
        assertThat(report("compute4").state()).isEqualTo(HostState.SUSPECT);
        assertThat(report("compute4").reason()).startsWith("agent missed 3 probes in a row (answers as host 'compute9')");
        assertThat(report("compute5").state()).as("configured, unknown to Nova, answering").isEqualTo(HostState.OK);
        assertThat(report("compute5").reason()).isEqualTo("agent answers; no nova-compute service record");
        assertThat(detection.now()).containsExactly("compute2");
    }

    @Test
    void aSilentHostsBmcIsAskedAndMayConfirmItsFailure() throws Exception {
        agent("compute1", "compute1", Duration.ZERO);
        agent("compute3", "compute3", Duration.ofSeconds(2));
        deadAgent("compute4");
        silence.put("compute1", Duration.ZERO);
        silence.put("compute3", Duration.ZERO);
        silence.put("compute4", Duration.ZERO);
        List<String> asked = new CopyOnWriteArrayList<>();
        Prober p = prober(Set.of(), new PowerChannel() {
            @Override
            public Set<String> hosts() {
                return Set.of("compute1", "compute3");
            }

            @Override
            public Optional<PowerReading> read(String host, Duration timeout) {
                asked.add(host);
                return Optional.of(new PowerReading(PowerReading.Power.OFF, "PowerState Off"));
            }
        });
        p.readNova();
        for (int i = 0; i < 3; i++) {
            p.probe();
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> detection.now().contains("compute3"));
        assertThat(report("compute3").reason()).endsWith("; BMC reports power off (PowerState Off)");
        assertThat(asked).as("only a silent host's BMC, where it has one").containsOnly("compute3");
        assertThat(report("compute1").state()).isEqualTo(HostState.OK);
        assertThat(report("compute4").state()).as("no BMC: its compute reports").isEqualTo(HostState.SUSPECT);
    }

    @Test
    void runningItFindsAHostThatGoesDownAndAsksForOneRoundAtOnce() throws Exception {
        HttpServer compute1 = agent("compute1", "compute1", Duration.ZERO);
        agent("compute2", "compute2", Duration.ZERO);
        silence.put("compute1", Duration.ZERO);
        silence.put("compute2", Duration.ZERO);
        AtomicInteger rounds = new AtomicInteger();
        prober(Set.of(), NO_BMC).start(rounds::incrementAndGet);
        await().atMost(Duration.ofSeconds(10)).until(() -> detection.report().size() == 2
                && detection.report().stream().allMatch(r -> r.state() == HostState.OK));

        compute1.stop(0);
        silence.put("compute1", Duration.ofSeconds(60));
        await().atMost(Duration.ofSeconds(10)).until(() -> detection.now().contains("compute1"));
        assertThat(rounds.get()).isEqualTo(1);
        // Five more probe cycles (200 ms apart) with compute1 still FAILED must not ask for more rounds.
        Thread.sleep(1000);
        assertThat(rounds.get()).as("one round per change to FAILED, not per probe").isEqualTo(1);
        assertThat(report("compute2").state()).isEqualTo(HostState.OK);
    }

    @Test
    void aSilentAgentsComputeIsReadAgainWhenItsSilenceIsDueNotAtTheNextRegularRead() throws Exception {
        // Nova's regular read: once at the start, then not for an hour.
        DetectionConfig config = new DetectionConfig(CONFIG.probeInterval(), CONFIG.probeTimeout(), 3,
                Duration.ofSeconds(2), Duration.ofSeconds(1), Optional.of(Duration.ofHours(1)), Duration.ofSeconds(1),
                Map.of());
        HttpServer compute1 = agent("compute1", "compute1", Duration.ZERO);
        agent("compute2", "compute2", Duration.ZERO);
        silence.put("compute1", Duration.ZERO);
        silence.put("compute2", Duration.ZERO);
        prober(config, Set.of("compute1", "compute2"), NO_BMC).start(() -> { });
        await().atMost(Duration.ofSeconds(10)).until(() -> detection.report().size() == 2
                && detection.report().stream().allMatch(r -> r.state() == HostState.OK));
        int readsBefore = novaReads.get();

        Instant died = Instant.now();
        lastReport.put("compute1", died);
        compute1.stop(0);
        await().atMost(Duration.ofSeconds(10)).until(() -> detection.now().contains("compute1"));
        assertThat(report("compute1").reason()).contains("nova-compute silent for");
        assertThat(novaReads.get() - readsBefore).as("Nova read near the moment compute1's silence was due, "
                + "not every probe cycle (every 200 ms) since its agent went").isLessThanOrEqualTo(4);
    }
}
