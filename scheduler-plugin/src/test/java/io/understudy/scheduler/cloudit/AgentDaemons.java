package io.understudy.scheduler.cloudit;

import static org.assertj.core.api.Assumptions.assumeThat;
import static org.awaitility.Awaitility.await;

import io.understudy.agent.api.AgentClient;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One real agent daemon ({@code java -jar understudy-agent.jar serve}) per compute host of the
 * single-machine cloud, on 127.0.0.1, token auth, libvirt's test driver, each staging into its
 * fake compute's instances path. Skipped when the agent's jar is not built.
 */
final class AgentDaemons implements AutoCloseable {

    static final String TOKEN = "a-cluster-token-for-the-moves-tests";

    private final Map<String, Process> processes = new LinkedHashMap<>();
    private final Map<String, URI> urls = new LinkedHashMap<>();
    private final Map<String, Path> instances = new LinkedHashMap<>();
    final Path tokenFile;

    /** @param state the cloud's state directory: computeN/instances is each host's instances path */
    AgentDaemons(List<String> hosts, Path state, Path dir) throws IOException {
        Path jar = Path.of(System.getProperty("understudy.agent.jar", "../agent/node/target/understudy-agent.jar"));
        assumeThat(Files.isRegularFile(jar)).as("the agent's jar " + jar + " is built").isTrue();
        tokenFile = Files.writeString(dir.resolve("cluster.token"), TOKEN + "\n");
        for (String host : hosts) {
            int port;
            try (ServerSocket s = new ServerSocket(0)) {
                port = s.getLocalPort();
            }
            Path home = Files.createDirectories(dir.resolve(host));
            Path instancesPath = state.resolve(host).resolve("instances");
            Files.writeString(home.resolve("agent.yaml"), String.join("\n", "host: " + host,
                    "listen: 127.0.0.1:" + port, "dataDir: " + home.resolve("data"), "instancesPath: " + instancesPath,
                    "libvirt: {uri: 'test:///default'}", "auth: {mode: token, tokenFile: " + tokenFile + "}", ""));
            processes.put(host, new ProcessBuilder("java", "-Xmx128m", "-jar", jar.toString(), "serve", "--config",
                    home.resolve("agent.yaml").toString()).redirectErrorStream(true)
                    .redirectOutput(home.resolve("agent.log").toFile()).start());
            urls.put(host, URI.create("http://127.0.0.1:" + port));
            instances.put(host, instancesPath);
        }
        for (String host : hosts) {
            await(host + "'s agent answers").atMost(Duration.ofSeconds(60)).ignoreExceptions()
                    .until(() -> client(host).health().host().equals(host));
        }
    }

    AgentClient client(String host) {
        return new AgentClient(urls.get(host), TOKEN, null, Duration.ofSeconds(10));
    }

    Map<String, URI> urls() {
        return urls;
    }

    Path instancesPath(String host) {
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
