package io.understudy.scheduler.testing;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import io.understudy.agent.api.AgentClient;
import io.understudy.agent.api.Health;
import io.understudy.agent.api.HostStats;
import io.understudy.agent.api.Json;
import io.understudy.scheduler.stats.AgentDirectory;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Agents played by in-process HTTP servers (the JDK's), one per host, answering
 * {@code /v1/host/stats} and {@code /v1/health} as the agent daemon does, for the controller's
 * reading of agents without a libvirt. Each can also fail: 500, hang, garbage.
 */
public final class FakeAgents implements AutoCloseable {

    public enum Mode { OK, ERROR, SLOW, GARBAGE }

    private static final ObjectMapper JSON = Json.mapper();

    private final Map<String, HttpServer> servers = new ConcurrentHashMap<>();
    private final Map<String, HostStats> stats = new ConcurrentHashMap<>();
    private final Map<String, Mode> modes = new ConcurrentHashMap<>();
    private final Duration timeout;

    public FakeAgents(Duration timeout) {
        this.timeout = timeout;
    }

    /** The stats HOST's agent reports: the replicas of LAGS, each at the version {@link #VERSION}. */
    public static HostStats stats(String host, double cpu, long diskFreeGib, Map<UUID, Double> lags) {
        return new HostStats(host, Instant.now(), cpu, 4L << 30, 8L << 30, diskFreeGib << 30, 1000L << 30, 0.5, 0.5,
                0.5, lags.size(), List.of(), lags, true, Map.of(), versions(lags));
    }

    /** The version every replica a fake agent reports is at. */
    public static final long VERSION = 17;

    private static Map<UUID, Long> versions(Map<UUID, Double> lags) {
        Map<UUID, Long> versions = new java.util.HashMap<>();
        lags.keySet().forEach(vm -> versions.put(vm, VERSION));
        return versions;
    }

    /** Starts (or updates) HOST's agent answering these stats. */
    public FakeAgents answer(String host, HostStats hostStats) {
        stats.put(host, hostStats);
        modes.put(host, Mode.OK);
        servers.computeIfAbsent(host, this::start);
        return this;
    }

    public FakeAgents mode(String host, Mode mode) {
        modes.put(host, mode);
        return this;
    }

    public URI url(String host) {
        return URI.create("http://127.0.0.1:" + servers.get(host).getAddress().getPort());
    }

    /** Hosts without a fake agent get a port nothing listens on: connection refused. */
    public AgentDirectory directory() {
        return host -> new AgentClient(servers.containsKey(host) ? url(host) : URI.create("http://127.0.0.1:9"),
                "token", null, timeout);
    }

    private HttpServer start(String host) {
        try {
            HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 16);
            server.createContext("/v1/host/stats", ex -> {
                Mode mode = modes.get(host);
                byte[] body;
                int status = 200;
                switch (mode) {
                    case ERROR -> {
                        status = 500;
                        body = "{\"status\":500,\"message\":\"libvirt is gone\"}".getBytes(StandardCharsets.UTF_8);
                    }
                    case SLOW -> {
                        try {
                            Thread.sleep(timeout.toMillis() * 3);
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                        }
                        body = JSON.writeValueAsBytes(stats.get(host));
                    }
                    case GARBAGE -> body = "<html>not json".getBytes(StandardCharsets.UTF_8);
                    default -> body = JSON.writeValueAsBytes(stats.get(host));
                }
                ex.sendResponseHeaders(status, body.length);
                try (OutputStream out = ex.getResponseBody()) {
                    out.write(body);
                } catch (IOException e) {
                    // the client gave up (timeout): fine
                }
            });
            // Up unless it fails its stats (ERROR: the agent does not answer, as a probe sees it).
            server.createContext("/v1/health", ex -> {
                boolean up = modes.get(host) != Mode.ERROR;
                byte[] body = up ? JSON.writeValueAsBytes(new Health(host, "ok", "test", 1, true, Instant.now()))
                        : "{\"status\":500,\"message\":\"down\"}".getBytes(StandardCharsets.UTF_8);
                ex.sendResponseHeaders(up ? 200 : 500, body.length);
                try (OutputStream out = ex.getResponseBody()) {
                    out.write(body);
                }
            });
            server.setExecutor(java.util.concurrent.Executors.newCachedThreadPool());
            server.start();
            return server;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() {
        servers.values().forEach(s -> s.stop(0));
    }
}
