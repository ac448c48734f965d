package io.understudy.scheduler.detect;

import static java.util.Objects.requireNonNull;

import io.understudy.agent.api.Health;
import io.understudy.nova.state.ComputeService;
import io.understudy.scheduler.bmc.PowerChannel;
import io.understudy.scheduler.config.DetectionConfig;
import io.understudy.scheduler.metrics.ControllerMetrics;
import io.understudy.scheduler.stats.AgentDirectory;
import io.understudy.scheduler.stats.NovaReader;
import io.understudy.scheduler.yaml.Durations;
import java.net.ConnectException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Detection's I/O: probes every agent's {@code /v1/health} each {@code probeInterval}, all at
 * once within the pool's bound; reads Nova's compute services (one request) each
 * {@code novaReadInterval}, and while an agent misses probes, when its nova-compute's silence is
 * due to pass the limit; asks a silent host's BMC, if it has one. What it learns goes to
 * {@link Detection}; when a host turns FAILED it asks for an evaluation round at once.
 *
 * <p>Every controller probes, standbys too: acting is the rounds' business, and Quartz hands each
 * round, this one included, to exactly one controller — which must then know what detection knows.
 */
public final class Prober implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(Prober.class);

    private final DetectionConfig config;
    private final AgentDirectory agents;
    private final Set<String> configuredHosts;
    private final NovaReader nova;
    private final PowerChannel power;
    private final Detection detection;
    private final ControllerMetrics metrics;
    private final Clock clock;
    private final ExecutorService pool;
    private final ScheduledExecutorService timer;
    private final Set<String> powerInFlight = ConcurrentHashMap.newKeySet();
    private volatile Set<String> novaHosts = Set.of();
    private volatile Runnable evaluateNow = () -> { };

    /**
     * @param agents clients whose timeout is the probe timeout
     * @param configuredHosts hosts probed whatever Nova lists (those with an agent endpoint configured)
     * @param metrics where each missed probe is counted, as a failed request to the agent
     * @param pool runs the probes and BMC reads; its size bounds how many are in flight
     */
    public Prober(DetectionConfig config, AgentDirectory agents, Set<String> configuredHosts, NovaReader nova,
            PowerChannel power, Detection detection, ControllerMetrics metrics, Clock clock, ExecutorService pool) {
        this.config = requireNonNull(config, "config is null");
        this.agents = requireNonNull(agents, "agents is null");
        this.configuredHosts = Set.copyOf(configuredHosts);
        this.nova = requireNonNull(nova, "nova is null");
        this.power = requireNonNull(power, "power is null");
        this.detection = requireNonNull(detection, "detection is null");
        this.metrics = requireNonNull(metrics, "metrics is null");
        this.clock = requireNonNull(clock, "clock is null");
        this.pool = requireNonNull(pool, "pool is null");
        this.timer = Executors.newScheduledThreadPool(2, r -> {
            Thread t = new Thread(r, "detection");
            t.setDaemon(true);
            return t;
        });
    }

    /** Probes and reads Nova from now on; EVALUATE_NOW is called whenever a host turns FAILED. */
    public void start(Runnable evaluateNow) {
        this.evaluateNow = requireNonNull(evaluateNow, "evaluateNow is null");
        timer.scheduleWithFixedDelay(() -> guarded("reading Nova", this::readNova), 0,
                config.novaEvery().toMillis(), TimeUnit.MILLISECONDS);
        // At a fixed rate: a cycle that overran its interval is followed at once, never overlapped.
        timer.scheduleAtFixedRate(() -> guarded("probing", this::probe), 0, config.probeInterval().toMillis(),
                TimeUnit.MILLISECONDS);
        log.info("failure detection: agents probed every {} ({} missed in a row count), Nova read every {}",
                Durations.format(config.probeInterval()), config.missedProbes(), Durations.format(config.novaEvery()));
    }

    /** One probe cycle: every host known from Nova's last listing or configured, probed at once. */
    void probe() {
        Set<String> hosts = new TreeSet<>(novaHosts);
        hosts.addAll(configuredHosts);
        Map<String, CompletableFuture<Optional<String>>> futures = new TreeMap<>();
        for (String host : hosts) {
            futures.put(host, CompletableFuture.supplyAsync(() -> probe(host), pool));
        }
        Map<String, Optional<String>> results = new HashMap<>();
        futures.forEach((host, f) -> results.put(host, f.join()));
        act(detection.probed(results));
        results.forEach((host, miss) -> miss.ifPresent(m -> askPower(host)));
        readNovaWhenDue();
    }

    /**
     * While an agent misses probes, Nova is read again the moment its nova-compute's silence
     * would pass the limit, or at once when that moment has passed, instead of waiting for the
     * next regular read: at Nova's default report_interval that read interval would add up to 5 s.
     */
    private void readNovaWhenDue() {
        detection.novaDue().ifPresent(due -> {
            long wait = Duration.between(clock.instant(), due).toMillis();
            if (wait < config.probeInterval().toMillis()) {
                timer.schedule(() -> guarded("reading Nova", this::readNova), Math.max(0, wait), TimeUnit.MILLISECONDS);
            }
        });
    }

    /** One read of Nova's compute services; a failure leaves Nova's channel unknown until the next. */
    void readNova() {
        List<ComputeService> services;
        try {
            services = nova.services();
        } catch (RuntimeException e) {
            act(detection.novaFailed(oneLine(e)));
            return;
        }
        Map<String, Optional<Instant>> reports = new HashMap<>();
        services.forEach(s -> reports.put(s.host(), s.updatedAt()));
        novaHosts = Set.copyOf(reports.keySet());
        act(detection.novaRead(new NovaReports(clock.instant(), reports)));
    }

    /** Why HOST's probe missed; empty when its agent answered as that host. */
    private Optional<String> probe(String host) {
        Optional<String> missed;
        try {
            Health health = agents.agent(host).health();
            missed = health == null || !host.equals(health.host())
                    ? Optional.of("answers as host '" + (health == null ? null : health.host()) + "'")
                    : Optional.empty();
        } catch (Exception e) {
            missed = Optional.of(oneLine(e));
        }
        missed.ifPresent(m -> metrics.agentError(host, "health"));
        return missed;
    }

    /** Asks HOST's BMC, once at a time per host, without holding up the probes. */
    private void askPower(String host) {
        if (!power.hosts().contains(host) || !powerInFlight.add(host)) {
            return;
        }
        CompletableFuture.runAsync(() -> {
            try {
                power.read(host, config.bmcTimeout()).ifPresent(r -> act(detection.powerRead(host, r)));
            } finally {
                powerInFlight.remove(host);
            }
        }, pool);
    }

    private void act(Set<String> turnedFailed) {
        if (!turnedFailed.isEmpty()) {
            evaluateNow.run();
        }
    }

    private static void guarded(String what, Runnable task) {
        try {
            task.run();
        } catch (RuntimeException e) {
            // An exception would end the schedule: detection must keep running.
            log.error("failure detection, {}: {}", what, oneLine(e), e);
        }
    }

    /** The first message along the causes; the JDK's client says a refused connection with a bare ConnectException. */
    private static String oneLine(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t.getMessage() != null && !t.getMessage().isBlank()) {
                return t.getMessage().replaceAll("\\s*\\R\\s*", " ").strip();
            }
        }
        return e instanceof ConnectException ? "cannot connect" : e.getClass().getSimpleName();
    }

    @Override
    public void close() {
        timer.shutdownNow();
        pool.shutdownNow();
    }
}
