package io.understudy.scheduler.stats;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.JsonNode;
import io.understudy.nova.client.Microversion;
import io.understudy.nova.client.NovaCalls;
import io.understudy.nova.client.NovaException;
import io.understudy.nova.state.ComputeService;
import io.understudy.nova.state.ComputeServices;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.function.Function;

/**
 * Reads what a round needs from Nova: one listing per kind (services, hypervisors, servers and,
 * when the rules name aggregates, aggregates), the long ones paged with {@code limit}/{@code marker}
 * — never a request per host or per server. Any failure, including an answer that lacks a field
 * we rely on, fails the whole read: a round never judges on half of Nova.
 */
public final class NovaReader {

    /** The last version whose hypervisor details still carry vCPU, RAM and disk figures (2.88 drops them). */
    public static final Microversion HYPERVISORS = new Microversion(2, 87);
    /** Embedded flavors with their names (2.47); hosts are shown to admins at every version. */
    public static final Microversion SERVERS = new Microversion(2, 47);
    /** Aggregates with UUIDs (2.41); names and hosts are in every version. */
    public static final Microversion AGGREGATES = new Microversion(2, 41);

    private static final String SERVICES_PATH = "/os-services?binary=nova-compute";

    private final NovaCalls nova;
    private final int pageSize;

    public NovaReader(NovaCalls nova, int pageSize) {
        this.nova = requireNonNull(nova, "nova is null");
        if (pageSize < 1) {
            throw new IllegalArgumentException("pageSize must be at least 1");
        }
        this.pageSize = pageSize;
    }

    /**
     * @throws NovaReadException naming the request and what was wrong
     */
    public NovaSnapshot read(boolean withAggregates) {
        int[] requests = {1}; // services(): one request
        List<ComputeService> services = services();
        List<Hypervisor> hypervisors = paged("/os-hypervisors/detail", HYPERVISORS, "hypervisors",
                NovaReader::hypervisor, h -> h.path("id").asText(), requests);
        List<ServerInfo> servers = paged("/servers/detail?all_tenants=1", SERVERS, "servers",
                NovaReader::server, s -> s.path("id").asText(), requests);
        Map<String, Set<String>> aggregates = withAggregates
                ? read("GET /os-aggregates", () -> {
                    requests[0]++;
                    return aggregates(nova.get("/os-aggregates", AGGREGATES));
                })
                : Map.of();
        return new NovaSnapshot(services, hypervisors, servers, aggregates, requests[0]);
    }

    /**
     * Nova's nova-compute services, in one request: what failure detection reads between rounds.
     *
     * @throws NovaReadException naming the request and what was wrong
     */
    public List<ComputeService> services() {
        // Not ComputeServices.list(): it reads a body without a "services" list as no services,
        // which here would make every host look down.
        List<ComputeService> services = new ArrayList<>();
        JsonNode serviceList = read("GET " + SERVICES_PATH, () -> list(nova.get(SERVICES_PATH, ComputeServices.VERSION),
                "services"));
        serviceList.forEach(s -> services.add(read("GET " + SERVICES_PATH, () -> ComputeService.fromJson(s))));
        return services;
    }

    private <T> List<T> paged(String path, Microversion version, String field, Function<JsonNode, T> parse,
            Function<JsonNode, String> id, int[] requests) {
        List<T> all = new ArrayList<>();
        Set<String> markers = new HashSet<>();
        String marker = null;
        while (true) {
            String page = path + (path.contains("?") ? "&" : "?") + "limit=" + pageSize
                    + (marker == null ? "" : "&marker=" + marker);
            JsonNode items = read("GET " + page, () -> {
                requests[0]++;
                return list(nova.get(page, version), field);
            });
            for (JsonNode item : items) {
                all.add(read("GET " + page, () -> parse.apply(item)));
            }
            if (items.size() < pageSize) {
                return all;
            }
            marker = id.apply(items.get(items.size() - 1));
            if (marker.isEmpty() || !markers.add(marker)) {
                throw new NovaReadException("GET " + page + ": paging does not advance (marker '" + marker + "')", null);
            }
        }
    }

    private static <T> T read(String what, java.util.function.Supplier<T> call) {
        try {
            return call.get();
        } catch (NovaException e) {
            throw new NovaReadException(e.getMessage(), e);
        } catch (RuntimeException e) {
            throw new NovaReadException(what + ": " + e.getMessage(), e);
        }
    }

    static Hypervisor hypervisor(JsonNode h) {
        JsonNode service = member(h, "service");
        return new Hypervisor(text(service, "host"), text(h, "state"),
                (int) number(h, "vcpus"), (int) number(h, "vcpus_used"),
                number(h, "memory_mb"), number(h, "memory_mb_used"),
                number(h, "local_gb"), number(h, "local_gb_used"), (int) number(h, "running_vms"));
    }

    static ServerInfo server(JsonNode s) {
        String id = text(s, "id");
        UUID uuid;
        try {
            uuid = UUID.fromString(id);
        } catch (IllegalArgumentException e) {
            throw new IllegalStateException("server id '" + id + "' is not a UUID");
        }
        JsonNode flavor = member(s, "flavor");
        JsonNode host = s.get("OS-EXT-SRV-ATTR:host");
        return new ServerInfo(uuid, text(s, "name"), text(s, "status"),
                host == null || host.isNull() || host.asText().isEmpty() ? Optional.empty() : Optional.of(host.asText()),
                text(flavor, "original_name"), (int) number(flavor, "disk"), texts(s.get("metadata")),
                texts(flavor.get("extra_specs")));
    }

    /** A JSON object's members as text; an absent member is an empty map. */
    private static Map<String, String> texts(JsonNode object) {
        Map<String, String> out = new HashMap<>();
        if (object != null && object.isObject()) {
            object.fields().forEachRemaining(e -> out.put(e.getKey(), e.getValue().asText()));
        }
        return out;
    }

    static Map<String, Set<String>> aggregates(JsonNode body) {
        Map<String, Set<String>> out = new HashMap<>();
        for (JsonNode a : list(body, "aggregates")) {
            Set<String> hosts = new LinkedHashSet<>();
            member(a, "hosts").forEach(h -> hosts.add(h.asText()));
            out.merge(text(a, "name"), hosts, (x, y) -> {
                Set<String> both = new LinkedHashSet<>(x);
                both.addAll(y);
                return both;
            });
        }
        return out;
    }

    private static JsonNode list(JsonNode body, String field) {
        JsonNode list = body.get(field);
        if (list == null || !list.isArray()) {
            throw new IllegalStateException("the answer has no '" + field + "' list: " + excerpt(body));
        }
        return list;
    }

    private static JsonNode member(JsonNode node, String field) {
        JsonNode value = node.get(field);
        if (value == null || value.isNull()) {
            throw new IllegalStateException("an entry lacks '" + field + "': " + excerpt(node));
        }
        return value;
    }

    private static String text(JsonNode node, String field) {
        JsonNode value = member(node, field);
        if (!value.isValueNode()) {
            throw new IllegalStateException("'" + field + "' is not a value: " + excerpt(node));
        }
        return value.asText();
    }

    private static long number(JsonNode node, String field) {
        JsonNode value = member(node, field);
        if (!value.isNumber()) {
            throw new IllegalStateException("'" + field + "' is not a number: " + excerpt(node));
        }
        return value.asLong();
    }

    private static String excerpt(JsonNode node) {
        String s = node.toString();
        return s.length() <= 200 ? s : s.substring(0, 200) + "...";
    }
}
