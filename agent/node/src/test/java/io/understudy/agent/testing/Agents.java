package io.understudy.agent.testing;

import io.understudy.agent.api.AgentClient;
import io.understudy.agent.api.Peer;
import io.understudy.agent.api.Preserved;
import io.understudy.agent.api.Protection;
import io.understudy.agent.api.Role;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;

/**
 * Agent daemons of several hosts on 127.0.0.1, each with its data directory and instances path
 * under {@code HOST/} of a work folder; a restarted one keeps its data and its port, as a
 * restarted node would.
 */
public final class Agents implements AutoCloseable {

    private final Path work;
    private final String libvirtUri;
    private final Path tokenFile;
    private final Map<String, TestAgent> running = new HashMap<>();
    private final Map<String, URI> urls = new HashMap<>();

    public Agents(Path work, String libvirtUri, Path tokenFile) {
        this.work = work;
        this.libvirtUri = libvirtUri;
        this.tokenFile = tokenFile;
    }

    /** Starts the agent of {@code host}, or restarts it on its data and port. */
    public TestAgent start(String host) throws IOException {
        stop(host);
        TestAgent a = TestAgent.start(host, dataDir(host), instances(host), libvirtUri, tokenFile,
                urls.containsKey(host) ? urls.get(host).getPort() : 0, null);
        running.put(host, a);
        urls.put(host, a.url());
        return a;
    }

    /** Stops the agent of {@code host}, as a failed node's would stop. */
    public void stop(String host) throws IOException {
        TestAgent a = running.remove(host);
        if (a != null) {
            a.close();
        }
    }

    public Path dataDir(String host) {
        return work.resolve(host).resolve("data");
    }

    public Path instances(String host) {
        return work.resolve(host).resolve("instances");
    }

    public TestAgent agent(String host) {
        return running.get(host);
    }

    public AgentClient client(String host) {
        return running.get(host).client();
    }

    /** {@code host} as its peers know it, running or not. */
    public Peer peer(String host) {
        return new Peer(host, urls.get(host));
    }

    /**
     * Assigns {@code host} its part in protecting {@code vm}, with {@code peers} (a secondary: its
     * primary), at an interval long enough that the tests' explicit rounds are the ones that count.
     */
    public void protect(String host, UUID vm, Role role, String... peers) throws IOException {
        client(host).protect(new Protection(vm, role, Arrays.stream(peers).map(this::peer).toList(),
                Duration.ofHours(1)));
    }

    /** The preserved disk of {@code vm} on {@code host} once its rejoin ended (or as it stands after {@code wait}). */
    public Preserved settled(String host, UUID vm, Duration wait) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + wait.toNanos();
        while (true) {
            Preserved p = client(host).preserved(vm);
            if (p.state() == Preserved.State.REJOINED || p.state() == Preserved.State.FAILED
                    || System.nanoTime() > deadline) {
                return p;
            }
            Thread.sleep(100);
        }
    }

    @Override
    public void close() throws IOException {
        for (TestAgent a : running.values()) {
            a.close();
        }
    }
}
