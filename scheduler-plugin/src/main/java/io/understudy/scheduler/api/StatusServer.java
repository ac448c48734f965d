package io.understudy.scheduler.api;

import static java.util.Objects.requireNonNull;

import io.understudy.nova.keystone.TokenValidator;
import io.understudy.scheduler.config.AgentsConfig;
import io.understudy.scheduler.config.ApiConfig;
import io.understudy.scheduler.detect.Detection;
import io.understudy.scheduler.detect.HostReport;
import io.understudy.scheduler.history.HistoryStore;
import io.understudy.scheduler.history.JsonLinesHistory;
import io.understudy.scheduler.metrics.ControllerMetrics;
import io.understudy.scheduler.moves.ForcedDownHosts;
import io.understudy.scheduler.moves.Journal;
import io.understudy.scheduler.round.LastRound;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.glassfish.grizzly.http.server.HttpServer;
import org.glassfish.grizzly.http.server.NetworkListener;
import org.glassfish.grizzly.http.server.ServerConfiguration;
import org.glassfish.grizzly.nio.transport.TCPNIOTransport;
import org.glassfish.grizzly.threadpool.ThreadPoolConfig;
import org.glassfish.jersey.grizzly2.httpserver.GrizzlyHttpContainer;
import org.glassfish.jersey.jackson.JacksonFeature;
import org.glassfish.jersey.server.ContainerFactory;
import org.glassfish.jersey.server.ResourceConfig;
import org.glassfish.jersey.server.ServerProperties;

/**
 * Serves the controller's API on Grizzly with Jersey: {@code /v1/health} to anyone; the rest
 * ({@link StatusResource}, {@link FleetResource}, {@link MovesResource}, {@link ActionsResource},
 * {@code /metrics}) with a
 * Keystone token carrying the roles asked, or the cluster token.
 */
public final class StatusServer implements AutoCloseable {

    public static final String DETECTION = "/v1/detection";
    public static final String STATUS = "/v1/status";

    /** {@code GET /v1/detection}: which controller answers, and every host it probes. */
    public record DetectionReport(String instance, List<HostReport> hosts) {}

    /**
     * The controller's own objects the API reads and acts on.
     *
     * @param actions what the operator's actions use; none: a read-only API (the actions' paths are 404)
     */
    public record Sources(HistoryStore history, Detection detection, Journal journal, ControllerMetrics metrics,
            LastRound lastRound, ForcedDownHosts forcedDown, Optional<ActionsResource.Actions> actions) {
        public Sources {
            requireNonNull(actions, "actions is null");
            requireNonNull(history, "history is null");
            requireNonNull(detection, "detection is null");
            requireNonNull(journal, "journal is null");
            requireNonNull(metrics, "metrics is null");
            requireNonNull(lastRound, "lastRound is null");
            requireNonNull(forcedDown, "forcedDown is null");
        }
    }

    private final HttpServer server;
    private final ExecutorService moving;

    private StatusServer(HttpServer server, ExecutorService moving) {
        this.server = server;
        this.moving = moving;
    }

    /**
     * The token the status API accepts: the agents' cluster token, read now.
     *
     * @throws IllegalArgumentException when none is configured, its file cannot be read, or it is
     *     too short to be a secret
     */
    public static String clusterToken(AgentsConfig agents) {
        String token = agents.readClusterToken().orElseThrow(() -> new IllegalArgumentException("the status API "
                + "answers only with the cluster token: give agents.auth.clusterToken or clusterTokenFile"));
        Authentication.check(token);
        return token;
    }

    /**
     * Listens on {@code api.listen()} (present) and answers requests carrying CLUSTER_TOKEN, or a
     * Keystone token KEYSTONE vouches for with the roles {@code api.keystone()} asks.
     *
     * @param keystone validates Keystone tokens; empty: they are refused (no cloud configured)
     * @throws IllegalArgumentException when the token is too short to be a secret
     * @throws UncheckedIOException naming the address when it cannot listen there
     */
    public static StatusServer start(ApiConfig api, String clusterToken, Optional<TokenValidator> keystone,
            Sources sources, String instance, boolean dryRun) {
        requireNonNull(sources, "sources is null");
        InetSocketAddress listen = api.listen().orElseThrow(() -> new IllegalArgumentException("no listen address"));
        // The moves asked through the API run here; one stopped with the controller is in the
        // journal, and the next controller follows it.
        ExecutorService moving = Executors.newCachedThreadPool(task -> {
            Thread t = new Thread(task, "api-move");
            t.setDaemon(true);
            return t;
        });        ResourceConfig app = new ResourceConfig()
                .property(ServerProperties.WADL_FEATURE_DISABLE, true)
                .register(JacksonFeature.withoutExceptionMappers())
                .register(new JsonDialect(JsonLinesHistory.mapper()))
                .register(new Authentication(clusterToken, keystone.map(k -> new KeystoneCallers(k::validate,
                        api.keystone().cacheTime(), Clock.systemUTC())), api.keystone()))
                .register(new NoUpgrade())
                .register(new ErrorMapper())
                .register(new StatusResource(sources.history(), sources.detection(), instance, dryRun))
                .register(new FleetResource(sources.lastRound(), sources.detection(), sources.forcedDown(), instance))
                .register(new MovesResource(sources.journal()))
                .register(new MetricsResource(sources.metrics(), sources.detection()));

        sources.actions().ifPresent(actions -> app.register(new ActionsResource(actions, moving, sources.detection(),
                sources.forcedDown(), instance)));
        HttpServer server = new HttpServer();
        NetworkListener listener = new NetworkListener("understudy-status", listen.getHostString(), listen.getPort());
        int idleSeconds = (int) api.idleTimeout().toSeconds();
        // Grizzly closes a connection whose idle time runs out; a request that has not reached the
        // end of its headers does not reset it, so the same timeout bounds how long headers may take.
        listener.getKeepAlive().setIdleTimeoutInSeconds(idleSeconds);
        TCPNIOTransport transport = listener.getTransport();
        transport.setWorkerThreadPoolConfig(ThreadPoolConfig.defaultConfig().setPoolName("status-api")
                .setCorePoolSize(api.workers()).setMaxPoolSize(api.workers()));
        transport.setReadTimeout(idleSeconds, TimeUnit.SECONDS);
        transport.setWriteTimeout(idleSeconds, TimeUnit.SECONDS);
        server.addListener(listener);
        ServerConfiguration config = server.getServerConfiguration();
        config.setDefaultQueryEncoding(StandardCharsets.UTF_8);
        config.setDefaultErrorPageGenerator(JsonErrors::page);
        config.addHttpHandler(new JsonErrors.Guard(ContainerFactory.createContainer(GrizzlyHttpContainer.class, app)),
                "/");
        try {
            server.start();
        } catch (IOException e) {
            server.shutdownNow();
            moving.shutdownNow();
            throw new UncheckedIOException("cannot listen on " + listen.getHostString() + ":" + listen.getPort()
                    + ": " + e.getMessage(), e);
        }
        return new StatusServer(server, moving);
    }

    public int port() {
        return server.getListener("understudy-status").getPort();
    }

    @Override
    public void close() {
        server.shutdownNow();
        moving.shutdownNow();
    }
}
