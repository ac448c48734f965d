package io.understudy.scheduler.stats;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.getRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.wireMockConfig;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.client.WireMock;
import io.understudy.scheduler.testing.FakeNova;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class NovaReaderTest {

    private final WireMockServer wireMock = new WireMockServer(wireMockConfig().dynamicPort());
    private FakeNova nova;

    @BeforeEach
    void start() {
        wireMock.start();
        nova = new FakeNova(wireMock);
    }

    @AfterEach
    void stop() {
        wireMock.stop();
    }

    private NovaReader reader(int pageSize) {
        return new NovaReader(FakeNova.client(wireMock, Duration.ofSeconds(4)), pageSize);
    }

    @Test
    void oneListingPerKindAtTheMicroversionsWhoseFieldsItReads() {
        UUID vm = UUID.randomUUID();
        nova.compute("compute1", true).compute("compute2", false)
                .server(vm, "db", "compute1", Map.of("tier", "db"), Map.of("understudy:protect", "true")).serve();
        NovaSnapshot s = reader(1000).read(false);
        assertThat(s.services()).extracting(x -> x.host() + " " + x.up()).containsExactly("compute1 true", "compute2 false");
        assertThat(s.hypervisors()).extracting(Hypervisor::host).containsExactly("compute1", "compute2");
        assertThat(s.hypervisors().get(0)).isEqualTo(new Hypervisor("compute1", "up", 16, 2, 32768, 2048, 1000, 20, 1));
        assertThat(s.servers()).singleElement().satisfies(server -> {
            assertThat(server.id()).isEqualTo(vm);
            assertThat(server.host()).contains("compute1");
            assertThat(server.flavor()).isEqualTo("understudy.tiny");
            assertThat(server.diskGib()).isEqualTo(1);
            assertThat(server.metadata()).containsExactly(Map.entry("tier", "db"));
            assertThat(server.extraSpecs()).as("the embedded flavor's extra specs")
                    .containsExactly(Map.entry("understudy:protect", "true"));
        });
        assertThat(s.requests()).isEqualTo(3);
        wireMock.verify(1, getRequestedFor(urlPathEqualTo("/v2.1/os-services"))
                .withHeader("OpenStack-API-Version", equalTo("compute 2.53")));
        wireMock.verify(1, getRequestedFor(urlPathEqualTo("/v2.1/os-hypervisors/detail"))
                .withHeader("OpenStack-API-Version", equalTo("compute 2.87")));
        wireMock.verify(1, getRequestedFor(urlPathEqualTo("/v2.1/servers/detail"))
                .withQueryParam("all_tenants", equalTo("1"))
                .withHeader("OpenStack-API-Version", equalTo("compute 2.47")));
        assertThat(wireMock.getAllServeEvents()).hasSize(3);
    }

    @Test
    void longListingsArePagedByMarkerNotRequestedPerItem() {
        UUID a = new UUID(0, 1);
        UUID b = new UUID(0, 2);
        UUID c = new UUID(0, 3);
        nova.compute("compute1", true).serve();
        wireMock.stubFor(get(urlPathEqualTo("/v2.1/servers/detail")).withQueryParam("marker", WireMock.absent())
                .willReturn(okJson(page(a, b))));
        wireMock.stubFor(get(urlPathEqualTo("/v2.1/servers/detail")).withQueryParam("marker", equalTo(b.toString()))
                .willReturn(okJson(page(c))));
        NovaSnapshot s = reader(2).read(false);
        assertThat(s.servers()).extracting(ServerInfo::id).containsExactly(a, b, c);
        assertThat(s.requests()).isEqualTo(4);
        wireMock.verify(2, getRequestedFor(urlPathEqualTo("/v2.1/servers/detail")).withQueryParam("limit", equalTo("2")));
    }

    private static String page(UUID... ids) {
        StringBuilder b = new StringBuilder("{\"servers\": [");
        for (int i = 0; i < ids.length; i++) {
            b.append(i == 0 ? "" : ",").append("{\"id\": \"").append(ids[i]).append("\", \"name\": \"s\", \"status\": \"ACTIVE\",")
                    .append("\"OS-EXT-SRV-ATTR:host\": \"compute1\", \"flavor\": {\"original_name\": \"f\", \"disk\": 1}, \"metadata\": {}}");
        }
        return b.append("]}").toString();
    }

    @Test
    void aServerErrorFailsTheWholeRead() {
        nova.compute("compute1", true).serve();
        nova.fail("/os-hypervisors/detail", 503);
        assertThatThrownBy(() -> reader(1000).read(false)).isInstanceOf(NovaReadException.class)
                .hasMessageContaining("/os-hypervisors/detail").hasMessageContaining("HTTP 503");
    }

    @Test
    void aHangingNovaFailsTheReadAfterTheTimeout() {
        nova.compute("compute1", true).serve();
        wireMock.stubFor(get(urlPathEqualTo("/v2.1/servers/detail")).willReturn(aResponse().withFixedDelay(9000)
                .withBody("{\"servers\": []}")));
        long t0 = System.nanoTime();
        assertThatThrownBy(() -> reader(1000).read(false)).isInstanceOf(NovaReadException.class)
                .hasMessageContaining("no response");
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(8));
    }

    @Test
    void garbageIsRefusedNotReadAsNothing() {
        nova.compute("compute1", true).serve();
        wireMock.stubFor(get(urlPathEqualTo("/v2.1/os-services")).willReturn(aResponse().withStatus(200)
                .withBody("<html>proxy error</html>")));
        assertThatThrownBy(() -> reader(1000).read(false)).isInstanceOf(NovaReadException.class)
                .hasMessageContaining("not JSON");
        // JSON, but not what Nova says: an empty object must not read as "no services" (every host down).
        wireMock.stubFor(get(urlPathEqualTo("/v2.1/os-services")).willReturn(okJson("{}")));
        assertThatThrownBy(() -> reader(1000).read(false)).isInstanceOf(NovaReadException.class)
                .hasMessageContaining("no 'services' list");
        // A hypervisor without its figures.
        nova.serve();
        wireMock.stubFor(get(urlPathEqualTo("/v2.1/os-hypervisors/detail")).willReturn(okJson(
                "{\"hypervisors\": [{\"id\": \"x\", \"state\": \"up\", \"service\": {\"host\": \"compute1\"}}]}")));
        assertThatThrownBy(() -> reader(1000).read(false)).isInstanceOf(NovaReadException.class)
                .hasMessageContaining("lacks 'vcpus'");
    }

    @Test
    void aggregatesAreReadOnlyWhenTheRulesNameOne() {
        nova.compute("compute1", true).serve();
        wireMock.stubFor(get(urlPathEqualTo("/v2.1/os-aggregates")).willReturn(okJson(
                "{\"aggregates\": [{\"name\": \"ssd\", \"hosts\": [\"compute1\"]}, {\"name\": \"ssd\", \"hosts\": [\"compute2\"]}]}")));
        assertThat(reader(1000).read(false).aggregates()).isEmpty();
        wireMock.verify(0, getRequestedFor(urlPathEqualTo("/v2.1/os-aggregates")));
        assertThat(reader(1000).read(true).aggregates()).containsEntry("ssd", java.util.Set.of("compute1", "compute2"));
    }
}
