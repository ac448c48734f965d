package io.understudy.agent.server;

import io.understudy.agent.api.Tls;
import io.understudy.agent.config.AgentConfig;
import io.understudy.agent.delta.DeltaReader;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import org.glassfish.grizzly.http.server.HttpServer;
import org.glassfish.grizzly.http.server.NetworkListener;
import org.glassfish.grizzly.http.server.ServerConfiguration;
import org.glassfish.grizzly.ssl.SSLEngineConfigurator;
import org.glassfish.jersey.grizzly2.httpserver.GrizzlyHttpServerFactory;
import org.glassfish.jersey.jackson.JacksonFeature;
import org.glassfish.jersey.server.ResourceConfig;
import org.glassfish.jersey.server.ServerProperties;

/** The agent's HTTP server: Grizzly with Jersey, over mutual TLS or plain HTTP with the cluster token. */
public final class AgentServer implements AutoCloseable {

    /** The longest a close waits for the requests in flight to end. */
    private static final Duration CLOSE_WAIT = Duration.ofSeconds(10);

    private final AgentConfig config;
    private final ResourceConfig app;
    private HttpServer server;

    public AgentServer(AgentConfig config, List<Object> resources) throws IOException {
        this.config = config;
        String token = null;
        if (config.auth().mode() == AgentConfig.AuthMode.TOKEN) {
            token = Files.readString(config.auth().tokenFile().orElseThrow(), StandardCharsets.UTF_8).strip();
            if (token.length() < 16) {
                throw new IOException(config.auth().tokenFile().get() + ": the cluster token must have at least 16 characters");
            }
        }
        this.app = new ResourceConfig()
                .property(ServerProperties.WADL_FEATURE_DISABLE, true)
                .register(JacksonFeature.withoutExceptionMappers())
                .register(new JsonDialect())
                .register(new Authentication(config.auth().mode(), token))
                .register(new JsonBodyLimit(config.replication().maxJsonBytes()))
                .register(new ErrorMapper());
        for (Object resource : resources) {
            app.register(resource);
        }
    }

    /** Starts listening; returns the port (useful when the configuration asked for port 0). */
    public int start() throws IOException {
        DeltaReader.warmUp();
        InetSocketAddress listen = config.listen();
        boolean tls = config.auth().mode() == AgentConfig.AuthMode.MTLS;
        URI uri = URI.create((tls ? "https" : "http") + "://" + listen.getHostString() + ":" + listen.getPort() + "/");
        SSLEngineConfigurator ssl = null;
        if (tls) {
            AgentConfig.Tls material = config.auth().tls().orElseThrow();
            // Need, and not also want: in the JDK, asking for a certificate cancels requiring one.
            ssl = new SSLEngineConfigurator(Tls.context(material.certificate(), material.key(), material.ca()),
                    false, true, false);
        }
        server = GrizzlyHttpServerFactory.createHttpServer(uri, app, tls, ssl, false);
        ServerConfiguration handlers = server.getServerConfiguration();
        var jersey = handlers.getHttpHandlersWithMapping().entrySet().iterator().next();
        handlers.removeHttpHandler(jersey.getKey());
        handlers.addHttpHandler(new RequestTargets(jersey.getKey()), jersey.getValue());
        NetworkListener listener = server.getListeners().iterator().next();
        if (tls) {
            listener.registerAddOn(new RefusedHandshakes());
        }
        // Deltas arrive as bodies of hundreds of MiB: read in the socket buffer's size (Grizzly's
        // default), they cost a syscall and a fresh buffer every few KiB. 256 KiB reads, with the
        // sender's 256 KiB pieces (FilePieces), measured best in bench replication.
        listener.getTransport().setReadBufferSize(1 << 18);
        // A body from which nothing arrives is given up after this long (ReplicaResource answers 408).
        listener.getTransport().setReadTimeout(config.replication().bodyTimeout().toMillis(), TimeUnit.MILLISECONDS);
        server.start();
        return listener.getPort();
    }

    @Override
    public void close() {
        if (server == null) {
            return;
        }
        List<ExecutorService> workers = server.getListeners().stream()
                .map(l -> l.getTransport().getWorkerThreadPool()).filter(Objects::nonNull).toList();
        server.shutdownNow();
        // Requests in flight end with their connections (a body being received fails at once), but
        // on their own threads: closed means they have ended, so that an agent started again on the
        // same data (a restart in one JVM) never meets a handler of this one still writing there.
        try {
            for (ExecutorService pool : workers) {
                pool.awaitTermination(CLOSE_WAIT.toMillis(), TimeUnit.MILLISECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
