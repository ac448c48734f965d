package io.understudy.nova.keystone;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.equalToJson;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.wireMockConfig;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.github.tomakehurst.wiremock.WireMockServer;
import io.understudy.nova.cloud.CloudConfig;
import io.understudy.nova.cloud.CloudConfig.DomainRef;
import io.understudy.nova.cloud.CloudConfig.EndpointInterface;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** openstack4j's login through its okhttp connector, against a recorded Keystone answer. */
class KeystoneLoginTest {

    private final WireMockServer keystone = new WireMockServer(wireMockConfig().dynamicPort());

    @BeforeEach
    void start() throws IOException {
        keystone.start();
        String token;
        try (InputStream in = getClass().getResourceAsStream("token.json")) {
            token = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        keystone.stubFor(post("/v3/auth/tokens").willReturn(aResponse().withStatus(201)
                .withHeader("Content-Type", "application/json")
                .withHeader("X-Subject-Token", "gAAAAAB-token")
                .withBody(token)));
    }

    @AfterEach
    void stop() {
        keystone.stop();
    }

    @Test
    void logsInWithTheCloudsCredentialsAndTakesNovaFromTheCatalog() {
        ComputeSession session = new KeystoneLogin(cloud(Optional.of("RegionOne"), EndpointInterface.PUBLIC),
                Duration.ofSeconds(5)).login();

        assertThat(session.token()).isEqualTo("gAAAAAB-token");
        assertThat(session.expiresAt()).isEqualTo(Instant.parse("2026-11-29T06:33:59Z"));
        assertThat(session.computeEndpoint()).as("trailing slash dropped: paths start with /")
                .isEqualTo(URI.create("http://nova.one:8774/v2.1"));
        keystone.verify(postRequestedFor(urlEqualTo("/v3/auth/tokens")).withRequestBody(equalToJson("""
                {"auth": {
                  "identity": {"methods": ["password"], "password": {"user": {
                    "name": "admin", "password": "pw", "domain": {"name": "Default"}}}},
                  "scope": {"project": {"name": "admin", "domain": {"id": "default"}}}}}
                """, true, true)));
    }

    @Test
    void honoursRegionAndInterface() {
        assertThat(new KeystoneLogin(cloud(Optional.of("RegionTwo"), EndpointInterface.PUBLIC), Duration.ofSeconds(5))
                .login().computeEndpoint()).isEqualTo(URI.create("http://nova.two:8774/v2.1"));
        assertThat(new KeystoneLogin(cloud(Optional.empty(), EndpointInterface.INTERNAL), Duration.ofSeconds(5))
                .login().computeEndpoint()).isEqualTo(URI.create("http://nova-internal.one:8774/v2.1"));
    }

    @Test
    void saysWhenTheCatalogHasNoNovaThere() {
        KeystoneLogin login = new KeystoneLogin(cloud(Optional.of("Nowhere"), EndpointInterface.PUBLIC), Duration.ofSeconds(5));

        assertThatThrownBy(login::login)
                .isInstanceOf(KeystoneException.class)
                .hasMessage("the catalog of " + keystone.baseUrl() + "/v3 has no compute endpoint on interface public in region Nowhere");
    }

    @Test
    void aRefusedLoginNamesTheUserAndTheCloud() {
        keystone.stubFor(post("/v3/auth/tokens").willReturn(aResponse().withStatus(401)
                .withHeader("Content-Type", "application/json")
                .withBody("{\"error\": {\"code\": 401, \"message\": \"The request you have made requires authentication.\"}}")));

        assertThatThrownBy(() -> new KeystoneLogin(cloud(Optional.empty(), EndpointInterface.PUBLIC), Duration.ofSeconds(5)).login())
                .isInstanceOf(KeystoneException.class)
                .hasMessageStartingWith("login to " + keystone.baseUrl() + "/v3 as admin (test cloud) failed: ");
    }

    private CloudConfig cloud(Optional<String> region, EndpointInterface endpointInterface) {
        return new CloudConfig("test cloud", URI.create(keystone.baseUrl()), "admin", "pw", DomainRef.byName("Default"),
                "admin", DomainRef.byId("default"), region, endpointInterface);
    }
}
