package io.understudy.agent.replication;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.understudy.agent.api.Json;
import io.understudy.agent.api.Protection;
import io.understudy.agent.replica.Durable;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The controller's protection assignments, kept on disk so that replication goes on across agent
 * restarts and while the controller is away (rounds belong to the agents). One the agent no longer
 * accepts (a peer URL refused since it was stored, a damaged file) is set aside, not a reason to stop:
 * the controller's next placement round sends the VM's assignment again.
 */
public final class Protections {

    private static final Logger LOG = LoggerFactory.getLogger(Protections.class);

    private final Path dir;
    private final ObjectMapper json = Json.mapper();
    private final Map<UUID, Protection> assignments = new ConcurrentHashMap<>();

    public Protections(Path dir) throws IOException {
        this.dir = Files.createDirectories(dir);
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "*.json")) {
            for (Path f : files) {
                try {
                    Protection p = json.readValue(f.toFile(), Protection.class);
                    assignments.put(p.vm(), p);
                } catch (JsonProcessingException e) {
                    Path aside = f.resolveSibling(f.getFileName() + ".refused");
                    Files.move(f, aside, StandardCopyOption.REPLACE_EXISTING);
                    LOG.warn("protection {} set aside as {}: {}; the controller's next placement round assigns it again",
                            f, aside.getFileName(), e.getOriginalMessage().replaceAll("\\s*\\R\\s*", " "));
                }
            }
        }
    }

    public Optional<Protection> get(UUID vm) {
        return Optional.ofNullable(assignments.get(vm));
    }

    public List<Protection> all() {
        return new ArrayList<>(assignments.values());
    }

    public synchronized void put(Protection p) throws IOException {
        Durable.replace(dir.resolve(p.vm() + ".json"), json.writeValueAsBytes(p));
        assignments.put(p.vm(), p);
    }

    /** @return whether there was an assignment */
    public synchronized boolean remove(UUID vm) throws IOException {
        Files.deleteIfExists(dir.resolve(vm + ".json"));
        return assignments.remove(vm) != null;
    }
}
