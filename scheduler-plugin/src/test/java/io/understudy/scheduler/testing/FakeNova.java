package io.understudy.scheduler.testing;

import static com.github.tomakehurst.wiremock.client.WireMock.absent;
import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.github.tomakehurst.wiremock.WireMockServer;
import io.understudy.nova.client.NovaClient;
import io.understudy.nova.keystone.ComputeSession;
import io.understudy.scheduler.rules.VmSelector;
import java.net.URI;
import java.net.http.HttpClient;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * Nova played by WireMock, for what a real Nova will not do on demand (5xx, hangs, garbage) and
 * for rounds without a cloud. Answers the listings a round reads, in Nova's own JSON.
 */
public final class FakeNova implements AutoCloseable {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final WireMockServer wireMock;
    private final List<ObjectNode> services = new ArrayList<>();
    private final List<ObjectNode> hypervisors = new ArrayList<>();
    private final List<ObjectNode> servers = new ArrayList<>();

    public FakeNova(WireMockServer wireMock) {
        this.wireMock = wireMock;
    }

    public FakeNova compute(String host, boolean up) {
        ObjectNode s = JSON.createObjectNode().put("id", UUID.nameUUIDFromBytes(host.getBytes()).toString())
                .put("binary", "nova-compute").put("host", host).put("status", "enabled")
                .put("state", up ? "up" : "down").put("forced_down", false).put("zone", "nova")
                .put("updated_at", "2026-11-29T05:59:58.000000");
        services.add(s);
        ObjectNode h = JSON.createObjectNode().put("id", UUID.nameUUIDFromBytes(("hv" + host).getBytes()).toString())
                .put("hypervisor_hostname", host).put("state", up ? "up" : "down").put("status", "enabled")
                .put("vcpus", 16).put("vcpus_used", 2).put("memory_mb", 32768).put("memory_mb_used", 2048)
                .put("local_gb", 1000).put("local_gb_used", 20).put("running_vms", 1);
        h.putObject("service").put("host", host).put("id", s.get("id").asText()).putNull("disabled_reason");
        hypervisors.add(h);
        return this;
    }

    /** A server whose flavor has {@code understudy:protect=true}: protected by the default rules. */
    public FakeNova protectedServer(UUID id, String name, String host) {
        return server(id, name, host, Map.of(), Map.of(VmSelector.PROTECT_KEY, "true"));
    }

    public FakeNova server(UUID id, String name, String host, Map<String, String> metadata) {
        return server(id, name, host, metadata, Map.of());
    }

    /** A server as Nova lists it at 2.47 and later: its flavor embedded, with the flavor's extra specs. */
    public FakeNova server(UUID id, String name, String host, Map<String, String> metadata,
            Map<String, String> extraSpecs) {
        ObjectNode s = JSON.createObjectNode().put("id", id.toString()).put("name", name).put("status", "ACTIVE")
                .put("OS-EXT-SRV-ATTR:host", host);
        ObjectNode flavor = s.putObject("flavor").put("original_name", "understudy.tiny").put("disk", 1).put("ram", 64)
                .put("vcpus", 1);
        extraSpecs.forEach(flavor.putObject("extra_specs")::put);
        metadata.forEach(s.putObject("metadata")::put);
        servers.add(s);
        return this;
    }

    /** Stubs every listing as one page each (the page size must exceed what is listed). */
    public FakeNova serve() {
        wireMock.stubFor(get(urlPathEqualTo("/v2.1/os-services")).withQueryParam("host", absent())
                .willReturn(okJson(list("services", services))));
        // As Nova filters: ?host=HOST lists that host's services only, none for a host it does not know.
        wireMock.stubFor(get(urlPathEqualTo("/v2.1/os-services")).atPriority(10)
                .willReturn(okJson(list("services", List.of()))));
        for (ObjectNode service : services) {
            String host = service.path("host").asText();
            wireMock.stubFor(get(urlPathEqualTo("/v2.1/os-services")).withQueryParam("host", equalTo(host))
                    .willReturn(okJson(list("services", List.of(service)))));
        }
        wireMock.stubFor(get(urlPathEqualTo("/v2.1/os-hypervisors/detail")).willReturn(okJson(list("hypervisors", hypervisors))));
        wireMock.stubFor(get(urlPathEqualTo("/v2.1/servers/detail")).willReturn(okJson(list("servers", servers))));
        for (ObjectNode server : servers) {
            wireMock.stubFor(get(urlPathEqualTo("/v2.1/servers/" + server.path("id").asText()))
                    .willReturn(okJson(JSON.createObjectNode().set("server", server).toString())));
        }
        return this;
    }

    public void fail(String path, int status) {
        wireMock.stubFor(get(urlPathEqualTo("/v2.1" + path)).willReturn(aResponse().withStatus(status)
                .withBody("{\"computeFault\": {\"message\": \"boom\", \"code\": " + status + "}}")));
    }

    public static String list(String field, List<ObjectNode> items) {
        ObjectNode root = JSON.createObjectNode();
        ArrayNode a = root.putArray(field);
        items.forEach(a::add);
        return root.toString();
    }

    /** A client of this Nova with a fixed token (Keystone is not what these tests are about). */
    public static NovaClient client(WireMockServer wireMock, Duration timeout) {
        ComputeSession session = new ComputeSession("token", Instant.now().plus(Duration.ofHours(1)),
                URI.create(wireMock.baseUrl() + "/v2.1"));
        return new NovaClient(() -> session, HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build(),
                timeout, Clock.systemUTC());
    }

    @Override
    public void close() {
        wireMock.stop();
    }
}
