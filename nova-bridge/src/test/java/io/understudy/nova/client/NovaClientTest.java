package io.understudy.nova.client;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.equalToJson;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.getRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.putRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.put;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.wireMockConfig;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.github.tomakehurst.wiremock.WireMockServer;
import io.understudy.nova.keystone.ComputeSession;
import io.understudy.nova.keystone.LoggedIn;
import io.understudy.nova.keystone.SessionSource;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class NovaClientTest {

    private static final Instant START = Instant.parse("2026-11-29T06:00:00Z");
    private static final Duration TOKEN_LIFETIME = Duration.ofHours(1);

    private final WireMockServer wireMock = new WireMockServer(wireMockConfig().dynamicPort());
    private final MutableClock clock = new MutableClock(START);
    private final List<String> tokensIssued = new ArrayList<>();
    private NovaClient nova;

    @BeforeEach
    void start() {
        wireMock.start();
        nova = clientOf(URI.create(wireMock.baseUrl() + "/v2.1"));
    }

    @AfterEach
    void stop() {
        wireMock.stop();
    }

    @Test
    void everyRequestCarriesItsOwnMicroversionAndTheToken() {
        wireMock.stubFor(get("/v2.1/servers/s1").willReturn(okJson("{\"server\": {\"id\": \"s1\"}}")));
        wireMock.stubFor(post("/v2.1/servers/s1/action").willReturn(aResponse().withStatus(202)));

        JsonNode server = nova.get("/servers/s1", Microversion.parse("2.1"));
        ObjectNode evacuate = JsonNodeFactory.instance.objectNode();
        evacuate.putObject("evacuate").put("host", "compute3");
        JsonNode accepted = nova.post("/servers/s1/action", Microversion.parse("2.68"), evacuate);

        assertThat(server.path("server").path("id").asText()).isEqualTo("s1");
        assertThat(accepted.isMissingNode()).as("a 202 without a body").isTrue();
        wireMock.verify(getRequestedFor(urlEqualTo("/v2.1/servers/s1"))
                .withHeader("OpenStack-API-Version", equalTo("compute 2.1"))
                .withHeader("X-Auth-Token", equalTo("token-1"))
                .withHeader("Accept", equalTo("application/json")));
        wireMock.verify(postRequestedFor(urlEqualTo("/v2.1/servers/s1/action"))
                .withHeader("OpenStack-API-Version", equalTo("compute 2.68"))
                .withHeader("X-Auth-Token", equalTo("token-1"))
                .withHeader("Content-Type", equalTo("application/json"))
                .withRequestBody(equalToJson("{\"evacuate\": {\"host\": \"compute3\"}}")));
        assertThat(tokensIssued).as("one login serves both requests").containsExactly("token-1");
    }

    @Test
    void logsInAgainAndResendsOnceWhenNovaRefusesTheToken() {
        wireMock.stubFor(put("/v2.1/os-services/u1").withHeader("X-Auth-Token", equalTo("token-1"))
                .willReturn(aResponse().withStatus(401).withBody("{\"error\": {\"message\": \"expired\"}}")));
        wireMock.stubFor(put("/v2.1/os-services/u1").withHeader("X-Auth-Token", equalTo("token-2"))
                .willReturn(okJson("{\"service\": {\"forced_down\": true}}")));

        JsonNode answer = nova.put("/os-services/u1", Microversion.parse("2.53"),
                JsonNodeFactory.instance.objectNode().put("forced_down", true));

        assertThat(answer.path("service").path("forced_down").asBoolean()).isTrue();
        assertThat(tokensIssued).containsExactly("token-1", "token-2");
        wireMock.verify(2, putRequestedFor(urlEqualTo("/v2.1/os-services/u1"))
                .withHeader("OpenStack-API-Version", equalTo("compute 2.53"))
                .withRequestBody(equalToJson("{\"forced_down\": true}")));
    }

    @Test
    void aSecondRefusalIsAnErrorNotALoop() {
        wireMock.stubFor(get("/v2.1/servers").willReturn(aResponse().withStatus(401)));

        assertThatThrownBy(() -> nova.get("/servers", Microversion.parse("2.1")))
                .isInstanceOfSatisfying(NovaException.class, e -> assertThat(e.status()).hasValue(401));
        assertThat(tokensIssued).containsExactly("token-1", "token-2");
        wireMock.verify(2, getRequestedFor(urlEqualTo("/v2.1/servers")));
    }

    @Test
    void logsInAgainShortlyBeforeTheTokenExpires() {
        wireMock.stubFor(get("/v2.1/servers").willReturn(okJson("{\"servers\": []}")));

        nova.get("/servers", Microversion.parse("2.1"));
        clock.set(START.plus(TOKEN_LIFETIME).minus(LoggedIn.RENEW_BEFORE_EXPIRY).minusSeconds(1));
        nova.get("/servers", Microversion.parse("2.1"));
        clock.set(START.plus(TOKEN_LIFETIME).minus(LoggedIn.RENEW_BEFORE_EXPIRY));
        nova.get("/servers", Microversion.parse("2.1"));

        assertThat(tokensIssued).containsExactly("token-1", "token-2");
        wireMock.verify(2, getRequestedFor(urlEqualTo("/v2.1/servers")).withHeader("X-Auth-Token", equalTo("token-1")));
        wireMock.verify(1, getRequestedFor(urlEqualTo("/v2.1/servers")).withHeader("X-Auth-Token", equalTo("token-2")));
    }

    @Test
    void anErrorNamesTheRequestTheStatusAndNovasRequestId() {
        wireMock.stubFor(post("/v2.1/servers/s1/action").willReturn(aResponse().withStatus(409)
                .withHeader("x-openstack-request-id", "req-42")
                .withBody("{\"conflictingRequest\": {\"code\": 409,\n \"message\": \"Cannot 'evacuate' instance s1 while it is in vm_state active\"}}")));

        assertThatThrownBy(() -> nova.post("/servers/s1/action", Microversion.parse("2.68"),
                JsonNodeFactory.instance.objectNode()))
                .isInstanceOfSatisfying(NovaException.class, e -> {
                    assertThat(e.status()).hasValue(409);
                    assertThat(e.requestId()).contains("req-42");
                    assertThat(e).hasMessage("POST /servers/s1/action at 2.68: HTTP 409: {\"conflictingRequest\": "
                            + "{\"code\": 409, \"message\": \"Cannot 'evacuate' instance s1 while it is in vm_state active\"}}"
                            + " [req-42]");
                    assertThat(e.conflict()).isTrue();
                    assertThat(e.retryable()).isFalse();
                });
    }

    @Test
    void aBodyThatIsNotJsonIsAnError() {
        wireMock.stubFor(get("/v2.1/servers").willReturn(aResponse().withStatus(200).withBody("<html>proxy error</html>")));

        assertThatThrownBy(() -> nova.get("/servers", Microversion.parse("2.1")))
                .isInstanceOf(NovaException.class)
                .hasMessage("GET /servers at 2.1: HTTP 200 with a body that is not JSON: <html>proxy error</html>");
    }

    @Test
    void noAnswerIsAnErrorWithoutStatus() throws IOException {
        int closedPort;
        try (ServerSocket socket = new ServerSocket(0)) {
            closedPort = socket.getLocalPort();
        }
        NovaClient unreachable = clientOf(URI.create("http://127.0.0.1:" + closedPort + "/v2.1"));

        assertThatThrownBy(() -> unreachable.get("/servers", Microversion.parse("2.1")))
                .isInstanceOfSatisfying(NovaException.class, e -> assertThat(e.status()).isEmpty())
                .hasMessageStartingWith("GET http://127.0.0.1:" + closedPort + "/v2.1/servers at 2.1: no response: ");
    }

    @Test
    void aHangingNovaIsNoAnswerOnceTheTimeoutPassed() {
        wireMock.stubFor(get("/v2.1/servers").willReturn(okJson("{\"servers\": []}").withFixedDelay(3000)));
        NovaClient impatient = new NovaClient(() -> new ComputeSession("t", START.plus(TOKEN_LIFETIME),
                URI.create(wireMock.baseUrl() + "/v2.1")), java.net.http.HttpClient.newHttpClient(),
                Duration.ofMillis(200), clock);

        long began = System.nanoTime();
        assertThatThrownBy(() -> impatient.get("/servers", Microversion.parse("2.1")))
                .isInstanceOfSatisfying(NovaException.class, e -> {
                    assertThat(e.status()).isEmpty();
                    assertThat(e.retryable()).isTrue();
                })
                .hasMessageStartingWith("GET " + wireMock.baseUrl() + "/v2.1/servers at 2.1: no response");
        assertThat(Duration.ofNanos(System.nanoTime() - began)).isLessThan(Duration.ofSeconds(2));
    }

    @Test
    void refusesAPathWithoutLeadingSlash() {
        assertThatThrownBy(() -> nova.get("servers", Microversion.parse("2.1")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("Nova path 'servers' does not start with /");
    }

    private NovaClient clientOf(URI endpoint) {
        SessionSource sessions = () -> {
            String token = "token-" + (tokensIssued.size() + 1);
            tokensIssued.add(token);
            return new ComputeSession(token, clock.instant().plus(TOKEN_LIFETIME), endpoint);
        };
        return new NovaClient(sessions, java.net.http.HttpClient.newHttpClient(), Duration.ofSeconds(5), clock);
    }

    private static final class MutableClock extends Clock {
        private Instant now;

        MutableClock(Instant now) {
            this.now = now;
        }

        void set(Instant instant) {
            now = instant;
        }

        @Override
        public Instant instant() {
            return now;
        }

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            throw new UnsupportedOperationException();
        }
    }
}
