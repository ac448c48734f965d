package io.understudy.nova.action;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.understudy.nova.client.Microversion;
import io.understudy.nova.client.NovaCalls;
import io.understudy.nova.client.NovaRequest;
import io.understudy.nova.client.NovaResponse;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes what Understudy does with a server into its metadata, where operators already look
 * (Horizon, {@code openstack server show}): {@code understudy:role} and {@code understudy:replicas},
 * the replica holders with their lag ("compute2:3.1s,compute3:2.9s"). Other keys are left alone.
 */
public final class ServerMetadata {

    public static final String ROLE = "understudy:role";
    public static final String REPLICAS = "understudy:replicas";
    /** Metadata items are in every version. */
    public static final Microversion VERSION = new Microversion(2, 1);
    /** Nova's limit on a metadata value. */
    static final int MAX_VALUE = 255;

    private static final Logger LOG = LoggerFactory.getLogger(ServerMetadata.class);

    private final NovaCalls nova;
    private final ActionSettings settings;

    public ServerMetadata(NovaCalls nova, ActionSettings settings) {
        this.nova = requireNonNull(nova, "nova is null");
        this.settings = requireNonNull(settings, "settings is null");
    }

    /** A replica holder and how far its replica is behind the primary. */
    public record Replica(String host, Duration lag) {
        public Replica {
            Hosts.requireHost(host);
            if (host.contains(",") || host.contains(":")) {
                throw new IllegalArgumentException("replica host '" + host + "' contains ',' or ':'");
            }
            requireNonNull(lag, "lag is null");
            if (lag.isNegative()) {
                throw new IllegalArgumentException("replica lag " + lag + " of " + host + " is negative");
            }
        }

        /** "compute2:3.1s". */
        @Override
        public String toString() {
            return host + ":" + String.format(Locale.ROOT, "%.1fs", lag.toMillis() / 1000.0);
        }
    }

    /**
     * Sets the two keys on SERVER, merged into its metadata (other keys stay).
     *
     * @param role what Understudy makes of the server, e.g. "primary on compute1"
     * @return the server's whole metadata as Nova has it afterwards
     * @throws IllegalArgumentException when a value exceeds Nova's 255 characters
     * @throws io.understudy.nova.client.NovaException when Nova refuses or does not answer within the retries
     */
    public Map<String, String> publish(UUID server, String role, List<Replica> replicas) {
        requireNonNull(server, "server is null");
        Map<String, String> items = new LinkedHashMap<>();
        if (requireNonNull(role, "role is null").isBlank()) {
            throw new IllegalArgumentException(ROLE + " value is blank");
        }
        items.put(ROLE, value(ROLE, role));
        items.put(REPLICAS, value(REPLICAS, requireNonNull(replicas, "replicas is null").stream()
                .map(Replica::toString).collect(Collectors.joining(","))));
        ObjectNode body = JsonNodeFactory.instance.objectNode();
        items.forEach(body.putObject("metadata")::put);
        Trail trail = new Trail(nova, settings.retry(), LOG, "metadata of " + server);
        // POST merges (PUT would replace every key): repeating it sets the same values again.
        NovaResponse response = trail.retrying().send(NovaRequest.idempotentPost("/servers/" + server + "/metadata",
                VERSION, body));
        Map<String, String> metadata = new LinkedHashMap<>();
        response.body().path("metadata").fields().forEachRemaining(e -> metadata.put(e.getKey(), e.getValue().asText()));
        if (!metadata.entrySet().containsAll(items.entrySet())) {
            throw new IllegalStateException("Nova's answer to the metadata of " + server + " lacks " + items
                    + ": " + metadata);
        }
        trail.step(items + " " + Trail.idOf(response.requestId()));
        return metadata;
    }

    private static String value(String key, String value) {
        if (value.length() > MAX_VALUE) {
            throw new IllegalArgumentException(key + " value '" + value + "' is longer than Nova's " + MAX_VALUE
                    + " characters");
        }
        return value;
    }
}
