package io.understudy.agent.api;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.UUID;
import javax.net.ssl.SSLContext;

/**
 * A client for one agent's {@code /v1} API. Authenticates with the cluster token (a bearer
 * token), or with mutual TLS when built with the cluster's SSL context. A plain object: make one
 * per agent and pass it to whoever needs it.
 */
public final class AgentClient {

    private final URI base;
    private final String token;
    private final HttpClient http;
    private final Duration timeout;
    private final ObjectMapper json = Json.mapper();

    /**
     * @param base    the agent's base URL, e.g. {@code https://compute1:9797}
     * @param token   the cluster token, or null with mutual TLS
     * @param ssl     the cluster's TLS context, or null for plain HTTP behind a terminating proxy
     * @param timeout for connecting and for each answer
     */
    public AgentClient(URI base, String token, SSLContext ssl, Duration timeout) {
        this.base = Objects.requireNonNull(base, "base is null");
        this.token = token;
        this.timeout = Objects.requireNonNull(timeout, "timeout is null");
        // HTTP/1.1 only: for http:// URLs the JDK client would first try an h2c upgrade, which a request body breaks.
        HttpClient.Builder b = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(timeout);
        if (ssl != null) {
            b.sslContext(ssl);
        }
        this.http = b.build();
    }

    public URI base() {
        return base;
    }

    public Health health() throws IOException {
        return get("/v1/health", new TypeReference<>() {});
    }

    public HostStats hostStats() throws IOException {
        return get("/v1/host/stats", new TypeReference<>() {});
    }

    public List<ReplicaInfo> replicas() throws IOException {
        return get("/v1/replicas", new TypeReference<>() {});
    }

    public void protect(Protection protection) throws IOException {
        send(request("/v1/vms/" + protection.vm() + "/protection")
                .PUT(HttpRequest.BodyPublishers.ofByteArray(json.writeValueAsBytes(protection)))
                .header("Content-Type", "application/json").build(), null);
    }

    public void unprotect(UUID vm) throws IOException {
        send(request("/v1/vms/" + vm + "/protection").DELETE().build(), null);
    }

    /** The VMs the agent is primary for, with where each secondary stands. */
    public List<PrimaryStatus> primaries() throws IOException {
        return get("/v1/vms", new TypeReference<>() {});
    }

    public Protection protection(UUID vm) throws IOException {
        return get("/v1/vms/" + vm + "/protection", new TypeReference<>() {});
    }

    /** A replication round now, on the VM's primary; returns its state afterwards. */
    public PrimaryStatus sync(UUID vm) throws IOException {
        return send(request("/v1/vms/" + vm + "/sync").timeout(timeout.multipliedBy(30))
                .POST(HttpRequest.BodyPublishers.noBody()).build(), new TypeReference<>() {});
    }

    /**
     * Holds the VM's rounds on its primary before Nova live-migrates it (see {@link Hold}); returns
     * once no backup of ours runs there (a round under way has its backup aborted), with the VM's state.
     */
    public PrimaryStatus hold(UUID vm, Hold hold) throws IOException {
        return send(request("/v1/vms/" + vm + "/hold").timeout(timeout.multipliedBy(30))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(json.writeValueAsBytes(hold))).build(),
                new TypeReference<>() {});
    }

    /** Ends the VM's hold on its primary; none there is fine. */
    public void release(UUID vm) throws IOException {
        try {
            send(request("/v1/vms/" + vm + "/hold").DELETE().build(), null);
        } catch (AgentException e) {
            if (e.status() != 404) {
                throw e;
            }
        }
    }

    public ReplicaInfo replica(UUID vm) throws IOException {
        return get("/v1/replicas/" + vm, new TypeReference<>() {});
    }

    /** Deletes the agent's replica of {@code vm}; refused (409) while it is assigned there. */
    public void deleteReplica(UUID vm) throws IOException {
        send(request("/v1/replicas/" + vm).DELETE().build(), null);
    }

    /**
     * Starts the agent's replica of {@code vm} from its own copy of {@code base} (version 0 holding
     * the image): 404 when it has no such image, 409 when its image differs or it holds a later
     * version already. Hashing and copying the image takes a while for a large one.
     */
    public ReplicaInfo startFromBase(UUID vm, BaseImage base) throws IOException {
        return send(request("/v1/replicas/" + vm + "/base").timeout(timeout.multipliedBy(30))
                .POST(HttpRequest.BodyPublishers.ofByteArray(json.writeValueAsBytes(base)))
                .header("Content-Type", "application/json").build(), new TypeReference<>() {});
    }

    /**
     * Streams one delta to the agent's replica of {@code vm}. An {@link AgentException} with
     * status 409 means the replica holds another version than the delta starts from (or is not
     * assigned here): nothing changed there.
     */
    public DeltaReceipt sendDelta(UUID vm, Path delta) throws IOException {
        return sendDelta(vm, FilePieces.body(delta));
    }

    /** The same, the delta's bytes from any body publisher. */
    public DeltaReceipt sendDelta(UUID vm, HttpRequest.BodyPublisher delta) throws IOException {
        return send(request("/v1/replicas/" + vm + "/deltas")
                .header("Content-Type", "application/octet-stream")
                .timeout(timeout.multipliedBy(30))
                .POST(delta).build(), new TypeReference<>() {});
    }

    /**
     * Fences {@code vm} on that node: destroys its domain and confirms it stopped. An
     * {@link AgentException} means the agent could not confirm it: the VM may still run there.
     */
    public FenceResult destroyDomain(UUID vm) throws IOException {
        return send(request("/v1/domains/" + vm + "/destroy").POST(HttpRequest.BodyPublishers.noBody()).build(),
                new TypeReference<>() {});
    }

    /** Puts the replica of {@code vm} in place as the instance's disk on that node (its layers, instantly). */
    public StageResult stage(UUID vm) throws IOException {
        return stage(vm, false);
    }

    /** The same; {@code flatten} makes the disk one standalone file (a copy of the data). */
    public StageResult stage(UUID vm, boolean flatten) throws IOException {
        return stage(vm, flatten, BootImages.NONE);
    }

    /**
     * The same, and the copies of the instance's kernel and ramdisk {@code boot} names that the
     * agent keeps go into Nova's image cache. An agent older than this ignores them.
     */
    public StageResult stage(UUID vm, boolean flatten, BootImages boot) throws IOException {
        return send(request("/v1/replicas/" + vm + "/stage" + (flatten ? "?flatten=true" : ""))
                .timeout(timeout.multipliedBy(30)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(json.writeValueAsBytes(boot))).build(),
                new TypeReference<>() {});
    }

    /**
     * Sends the agent, a secondary of {@code vm}, the kernel or ramdisk ({@code kind}: "kernel" or
     * "ramdisk") the VM boots with, as {@code file}'s bytes; it keeps it for a staging.
     */
    public void putBootFile(UUID vm, String kind, HttpRequest.BodyPublisher file) throws IOException {
        send(request("/v1/replicas/" + vm + "/boot/" + kind).header("Content-Type", "application/octet-stream")
                .timeout(timeout.multipliedBy(30)).PUT(file).build(), null);
    }

    /** The disks this agent preserved of VMs it was primary for, and how their rejoin went. */
    public List<Preserved> preserved() throws IOException {
        return get("/v1/preserved", new TypeReference<>() {});
    }

    public Preserved preserved(UUID vm) throws IOException {
        return get("/v1/preserved/" + vm, new TypeReference<>() {});
    }

    /**
     * The per-cluster hashes of the replica's {@code version} (the delta package's manifest file),
     * streamed; 409 when the replica holds another version.
     */
    public InputStream replicaManifest(UUID vm, long version) throws IOException {
        return stream(request("/v1/replicas/" + vm + "/manifest?version=" + version).timeout(timeout.multipliedBy(30))
                .GET());
    }

    /**
     * The content of the replica's {@code version} at the given clusters, as a delta stream whose
     * header goes from {@code version} to {@code version}. {@code runs}: big-endian u64 pairs
     * (first cluster, count), ascending, not overlapping.
     */
    public InputStream replicaClusters(UUID vm, long version, byte[] runs) throws IOException {
        return stream(request("/v1/replicas/" + vm + "/clusters?version=" + version)
                .header("Content-Type", "application/octet-stream").timeout(timeout.multipliedBy(30))
                .POST(HttpRequest.BodyPublishers.ofByteArray(runs)));
    }

    private <T> T get(String path, TypeReference<T> type) throws IOException {
        return send(request(path).GET().build(), type);
    }

    HttpRequest.Builder request(String path) {
        HttpRequest.Builder b = HttpRequest.newBuilder(base.resolve(path)).timeout(timeout)
                .header("Accept", "application/json");
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        return b;
    }

    <T> T send(HttpRequest request, TypeReference<T> type) throws IOException {
        HttpResponse<byte[]> response = exchange(request, HttpResponse.BodyHandlers.ofByteArray());
        if (response.statusCode() / 100 != 2) {
            throw failure(response.statusCode(), response.body());
        }
        return type == null ? null : json.readValue(response.body(), type);
    }

    /** A successful answer's body as it arrives; the caller closes it. */
    private InputStream stream(HttpRequest.Builder request) throws IOException {
        HttpResponse<InputStream> response = exchange(request.setHeader("Accept", "application/octet-stream").build(),
                HttpResponse.BodyHandlers.ofInputStream());
        if (response.statusCode() / 100 != 2) {
            try (InputStream body = response.body()) {
                throw failure(response.statusCode(), body.readNBytes(1 << 16));
            }
        }
        return response.body();
    }

    private <B> HttpResponse<B> exchange(HttpRequest request, HttpResponse.BodyHandler<B> handler) throws IOException {
        try {
            return http.send(request, handler);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(base + ": interrupted", e);
        }
    }

    private AgentException failure(int status, byte[] body) {
        String message;
        try {
            message = json.readValue(body, ApiError.class).message();
        } catch (IOException e) {
            message = new String(body, java.nio.charset.StandardCharsets.UTF_8).strip();
        }
        return new AgentException(base.toString(), status, message);
    }
}
