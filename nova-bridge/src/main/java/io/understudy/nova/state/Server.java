package io.understudy.nova.state;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Optional;
import java.util.UUID;

/**
 * A server as Nova sees it.
 *
 * @param status Nova's status: ACTIVE, BUILD, MIGRATING, REBUILD, ERROR, SHUTOFF, ...
 * @param host the compute host it is on (admins see it), empty before scheduling
 * @param taskState what Nova is doing to it right now ("migrating", "rebuilding", ...), empty when nothing
 * @param ramMiB its flavor's memory: what a live migration has to copy
 * @param kernelImage the Glance image Nova boots its kernel from (its {@code kernel_id}; admins see
 *        it), empty when its image has none: what a host that boots it needs besides its disk
 * @param ramdiskImage the same for its ramdisk ({@code ramdisk_id})
 */
public record Server(UUID id, String name, String status, Optional<String> host, Optional<String> taskState,
        long ramMiB, Optional<String> kernelImage, Optional<String> ramdiskImage) {

    private static final String ACTIVE = "ACTIVE";

    public Server {
        requireNonNull(id, "id is null");
        requireNonNull(name, "name is null");
        requireNonNull(status, "status is null");
        requireNonNull(host, "host is null");
        requireNonNull(taskState, "taskState is null");
        requireNonNull(kernelImage, "kernelImage is null");
        requireNonNull(ramdiskImage, "ramdiskImage is null");
        if (ramMiB < 0) {
            throw new IllegalArgumentException("server " + id + ": RAM " + ramMiB + " MiB is negative");
        }
    }

    /**
     * Reads the {@code server} of {@code GET /servers/{id}} at 2.47 or later (the flavor embedded;
     * the kernel and ramdisk since 2.3, as "" when there is none).
     */
    public static Server fromJson(JsonNode server) {
        return new Server(
                NovaJson.uuid(server, "id"),
                NovaJson.text(server, "name"),
                NovaJson.text(server, "status"),
                NovaJson.optionalText(server, "OS-EXT-SRV-ATTR:host"),
                NovaJson.optionalText(server, "OS-EXT-STS:task_state"),
                NovaJson.member(NovaJson.member(server, "flavor"), "ram").asLong(),
                NovaJson.optionalText(server, "OS-EXT-SRV-ATTR:kernel_id").filter(id -> !id.isEmpty()),
                NovaJson.optionalText(server, "OS-EXT-SRV-ATTR:ramdisk_id").filter(id -> !id.isEmpty()));
    }

    /** Running on HOST with nothing under way: where a move is meant to leave it. */
    public boolean settledOn(String host) {
        return status.equals(ACTIVE) && this.host.equals(Optional.of(host)) && taskState.isEmpty();
    }

    /** "name (uuid) ACTIVE on compute1", task state added when there is one. */
    public String describe() {
        return name + " (" + id + ") " + status + " on " + host.orElse("no host")
                + taskState.map(task -> ", task " + task).orElse("");
    }
}
