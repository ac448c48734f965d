package io.understudy.scheduler.testing;

import static org.assertj.core.api.Assumptions.assumeThat;
import static org.awaitility.Awaitility.await;

import io.understudy.agent.api.AgentClient;
import io.understudy.agent.api.Peer;
import io.understudy.agent.api.Protection;
import io.understudy.agent.api.Role;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * One real agent daemon ({@code java -jar understudy-agent.jar serve}) per compute host, of the
 * single-machine cloud or of a test without one, on 127.0.0.1, token auth, libvirt's test driver,
 * each staging into its host's instances path (its fake compute's, in the cloud). Each one's PID
 * is in {@code HOST-agent.pid} ("PID STARTTIME", as {@code local-cloud.sh fence --pidfile} reads
 * it), so a process fencer can stop it as a power-off would. Skipped when the agent's jar is not
 * built.
 */
public final class AgentDaemons implements AutoCloseable {

    public static final String TOKEN = "a-cluster-token-for-the-moves-tests";

    private final Map<String, Process> processes = new LinkedHashMap<>();
    private final Map<String, URI> urls = new LinkedHashMap<>();
    private final Map<String, Path> instances = new LinkedHashMap<>();
    private final Map<String, List<String>> launchers = new LinkedHashMap<>();
    private final Path dir;
    private final Path jar;
    public final Path tokenFile;

    /**
     * Where one host's agent keeps its data, which instances path and libvirt it sees, and what its
     * command line starts with (empty: run here; {@code nsenter ...}: inside a host's namespace).
     */
    public record Node(Path instancesPath, Path dataDir, String libvirtUri, List<String> launcher) {
        public Node {
            launcher = List.copyOf(launcher);
        }
    }

    /** @param state HOST/instances in it is each host's instances path (the cloud's state directory in the cloud) */
    public AgentDaemons(List<String> hosts, Path state, Path dir) throws IOException {
        this(hosts, dir, host -> new Node(state.resolve(host).resolve("instances"),
                dir.resolve(host).resolve("data"), "test:///default", List.of()));
    }

    public AgentDaemons(List<String> hosts, Path dir, java.util.function.Function<String, Node> nodes)
            throws IOException {
        jar = Path.of(System.getProperty("understudy.agent.jar", "../agent/node/target/understudy-agent.jar"));
        assumeThat(Files.isRegularFile(jar)).as("the agent's jar " + jar + " is built").isTrue();
        this.dir = dir;
        tokenFile = Files.writeString(dir.resolve("cluster.token"), TOKEN + "\n");
        for (String host : hosts) {
            int port;
            try (ServerSocket s = new ServerSocket(0)) {
                port = s.getLocalPort();
            }
            Node node = nodes.apply(host);
            Path home = Files.createDirectories(dir.resolve(host));
            Files.writeString(home.resolve("agent.yaml"), String.join("\n", "host: " + host,
                    "listen: 127.0.0.1:" + port, "dataDir: " + node.dataDir(),
                    "instancesPath: " + node.instancesPath(), "libvirt: {uri: '" + node.libvirtUri() + "'}",
                    "auth: {mode: token, tokenFile: " + tokenFile + "}", ""));
            urls.put(host, URI.create("http://127.0.0.1:" + port));
            instances.put(host, node.instancesPath());
            launchers.put(host, node.launcher());
            launch(host);
        }
        hosts.forEach(this::awaitAnswer);
    }

    /** Starts HOST's agent again on its port and data, as after a power-off; returns once it answers. */
    public void restart(String host) throws IOException {
        launch(host);
        awaitAnswer(host);
    }

    private void launch(String host) throws IOException {
        Path home = dir.resolve(host);
        List<String> command = new ArrayList<>(launchers.get(host));
        command.addAll(List.of("java", "-Xmx128m", "-jar", jar.toAbsolutePath().toString(), "serve", "--config",
                home.resolve("agent.yaml").toString()));
        Process agent = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(home.resolve("agent.log").toFile())).start();
        processes.put(host, agent);
        Files.writeString(pidFile(host), agent.pid() + " " + startTime(agent.pid()) + "\n");
    }

    private void awaitAnswer(String host) {
        await(host + "'s agent answers").atMost(Duration.ofSeconds(60)).ignoreExceptions()
                .until(() -> client(host).health().host().equals(host));
    }

    public AgentClient client(String host) {
        return new AgentClient(urls.get(host), TOKEN, null, Duration.ofSeconds(10));
    }

    /**
     * What placement would assign: PRIMARY's agent the primary of VM, replicating to every other
     * host's agent, each of them its secondary.
     */
    public void protect(UUID vm, String primary) throws IOException {
        protect(vm, primary, Duration.ofHours(1));
    }

    /** As {@link #protect(UUID, String)}, with rounds every INTERVAL. */
    public void protect(UUID vm, String primary, Duration interval) throws IOException {
        List<String> others = processes.keySet().stream().filter(h -> !h.equals(primary)).toList();
        client(primary).protect(new Protection(vm, Role.PRIMARY, others.stream()
                .map(h -> new Peer(h, urls.get(h))).toList(), interval));
        for (String secondary : others) {
            client(secondary).protect(new Protection(vm, Role.SECONDARY, List.of(new Peer(primary, urls.get(primary))),
                    interval));
        }
    }

    /** Removes what any agent staged for VM in its host's instances path. */
    public void removeStaged(UUID vm) throws IOException {
        for (Path instancesPath : instances.values()) {
            Path staged = instancesPath.resolve(vm.toString());
            if (Files.exists(staged)) {
                try (var files = Files.walk(staged)) {
                    files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
                }
            }
        }
    }

    /** {@code HOST-agent.pid} in the agents' folder; {@code {host}-agent.pid} names them all for a fence command. */
    public Path pidFile(String host) {
        return dir.resolve(host + "-agent.pid");
    }

    /** SIGKILLs HOST's agent, as a host losing power would stop it. */
    public void kill(String host) throws InterruptedException {
        processes.get(host).destroyForcibly().waitFor();
    }

    /** Whether HOST's agent process still runs (a fencer may have killed it). */
    public boolean running(String host) {
        return processes.get(host).isAlive();
    }

    /**
     * The kernel's start time of PID (/proc/PID/stat's field 22, counted after the command name,
     * which may hold spaces): with the PID it names one process for good, whatever reuses the PID.
     */
    private static String startTime(long pid) throws IOException {
        String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
        return stat.substring(stat.lastIndexOf(')') + 2).split(" ")[19];
    }

    public Map<String, URI> urls() {
        return urls;
    }

    public Path instancesPath(String host) {
        return instances.get(host);
    }

    @Override
    public void close() {
        processes.values().forEach(Process::destroy);
        for (Process p : processes.values()) {
            try {
                if (!p.waitFor(20, java.util.concurrent.TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                p.destroyForcibly();
            }
        }
    }
}
