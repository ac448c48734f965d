package io.understudy.nova.keystone;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.equalToJson;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.wireMockConfig;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.github.tomakehurst.wiremock.WireMockServer;
import io.understudy.nova.cloud.CloudConfig;
import io.understudy.nova.cloud.CloudConfig.ApplicationCredential;
import io.understudy.nova.cloud.CloudConfig.Auth;
import io.understudy.nova.cloud.CloudConfig.DomainRef;
import io.understudy.nova.cloud.CloudConfig.EndpointInterface;
import io.understudy.nova.cloud.CloudConfig.NameOrId;
import io.understudy.nova.cloud.CloudConfig.Password;
import io.understudy.nova.cloud.CloudConfig.Tls;
import io.understudy.nova.cloud.CloudConfig.Token;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The token request of each credential kind, compared with the bodies in Keystone's identity API v3
 * reference ("Password authentication with scoped authorization", "... with explicit unscoped
 * authorization" by user ID, "Token authentication with scoped authorization", "Authenticating with
 * an Application Credential"), and the catalog read, against a recorded Keystone answer.
 */
class KeystoneLoginTest {

    private static final NameOrId ADMIN_PROJECT = NameOrId.byName("admin", DomainRef.byId("default"));

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
    void logsInWithAPasswordByNamesAndTakesNovaFromTheCatalog() {
        ComputeSession session = login(new Password(NameOrId.byName("admin", DomainRef.byName("Default")), "pw",
                ADMIN_PROJECT), Optional.of("RegionOne"), EndpointInterface.PUBLIC);

        assertThat(session.token()).isEqualTo("gAAAAAB-token");
        assertThat(session.expiresAt()).isEqualTo(Instant.parse("2026-11-29T06:33:59Z"));
        assertThat(session.computeEndpoint()).as("trailing slash dropped: paths start with /")
                .isEqualTo(URI.create("http://nova.one:8774/v2.1"));
        keystone.verify(postRequestedFor(urlEqualTo("/v3/auth/tokens"))
                .withHeader("Content-Type", equalTo("application/json"))
                .withRequestBody(equalToJson("""
                {"auth": {
                  "identity": {"methods": ["password"], "password": {"user": {
                    "name": "admin", "domain": {"name": "Default"}, "password": "pw"}}},
                  "scope": {"project": {"name": "admin", "domain": {"id": "default"}}}}}
                """)));
    }

    @Test
    void aPasswordByUserIdAndProjectIdSendsNoDomains() {
        login(new Password(NameOrId.byId("d5196072"), "pw", NameOrId.byId("db6764e2")));

        assertSent("""
                {"auth": {
                  "identity": {"methods": ["password"], "password": {"user": {"id": "d5196072", "password": "pw"}}},
                  "scope": {"project": {"id": "db6764e2"}}}}
                """);
    }

    @Test
    void anApplicationCredentialByIdAsksForNoScope() {
        login(new ApplicationCredential(Optional.of("423f19a4"), Optional.empty(), Optional.empty(), "rEaqvJka"));

        assertSent("""
                {"auth": {"identity": {"methods": ["application_credential"],
                  "application_credential": {"id": "423f19a4", "secret": "rEaqvJka"}}}}
                """);
    }

    @Test
    void anApplicationCredentialByNameNamesItsUser() {
        login(new ApplicationCredential(Optional.empty(), Optional.of("monitoring"),
                Optional.of(NameOrId.byId("fd786d56")), "rEaqvJka"));
        assertSent("""
                {"auth": {"identity": {"methods": ["application_credential"],
                  "application_credential": {"name": "monitoring", "user": {"id": "fd786d56"}, "secret": "rEaqvJka"}}}}
                """);

        keystone.resetRequests();
        login(new ApplicationCredential(Optional.empty(), Optional.of("monitoring"),
                Optional.of(NameOrId.byName("understudy", DomainRef.byName("Default"))), "rEaqvJka"));
        assertSent("""
                {"auth": {"identity": {"methods": ["application_credential"],
                  "application_credential": {"name": "monitoring",
                    "user": {"name": "understudy", "domain": {"name": "Default"}}, "secret": "rEaqvJka"}}}}
                """);
    }

    @Test
    void aTokenIsExchangedForOneScopedToTheProject() {
        login(new Token("gAAAAAB-old", ADMIN_PROJECT));

        assertSent("""
                {"auth": {
                  "identity": {"methods": ["token"], "token": {"id": "gAAAAAB-old"}},
                  "scope": {"project": {"name": "admin", "domain": {"id": "default"}}}}}
                """);
    }

    @Test
    void honoursRegionAndInterface() {
        Auth auth = new Token("t", ADMIN_PROJECT);
        assertThat(login(auth, Optional.of("RegionTwo"), EndpointInterface.PUBLIC).computeEndpoint())
                .isEqualTo(URI.create("http://nova.two:8774/v2.1"));
        assertThat(login(auth, Optional.empty(), EndpointInterface.INTERNAL).computeEndpoint())
                .isEqualTo(URI.create("http://nova-internal.one:8774/v2.1"));
    }

    @Test
    void saysWhenTheCatalogHasNoNovaThere() {
        assertThatThrownBy(() -> login(new Token("t", ADMIN_PROJECT), Optional.of("Nowhere"), EndpointInterface.PUBLIC))
                .isInstanceOf(KeystoneException.class)
                .hasMessage("the catalog of " + keystone.baseUrl() + "/v3 has no compute endpoint on interface public in region Nowhere");
    }

    @Test
    void aRefusedLoginNamesTheCredentialsAndTheCloudButNotTheSecret() {
        keystone.stubFor(post("/v3/auth/tokens").willReturn(aResponse().withStatus(401)
                .withHeader("Content-Type", "application/json")
                .withBody("{\"error\": {\"code\": 401, \"message\": \"The request you have made requires authentication.\"}}")));

        assertThatThrownBy(() -> login(new Password(NameOrId.byName("admin", DomainRef.byName("Default")), "pw-secret",
                ADMIN_PROJECT)))
                .isInstanceOf(KeystoneException.class)
                .hasMessage("login to " + keystone.baseUrl() + "/v3 with the password of user name:admin in domain "
                        + "name:Default for project name:admin in domain id:default (test cloud) failed: HTTP 401: "
                        + "{\"error\": {\"code\": 401, \"message\": \"The request you have made requires authentication.\"}}");
        assertThatThrownBy(() -> login(new ApplicationCredential(Optional.of("423f19a4"), Optional.empty(),
                Optional.empty(), "the-secret")))
                .hasMessageStartingWith("login to " + keystone.baseUrl() + "/v3 with the application credential id:423f19a4 (test cloud) failed: HTTP 401")
                .message().doesNotContain("the-secret");
    }

    private ComputeSession login(Auth auth) {
        return login(auth, Optional.empty(), EndpointInterface.PUBLIC);
    }

    private ComputeSession login(Auth auth, Optional<String> region, EndpointInterface endpointInterface) {
        CloudConfig cloud = new CloudConfig("test cloud", URI.create(keystone.baseUrl()), auth,
                new Tls(Optional.empty(), true, Optional.empty(), Optional.empty()), region, endpointInterface);
        return new KeystoneLogin(cloud, HttpClient.newHttpClient(), Duration.ofSeconds(5)).login();
    }

    /** Exactly this body: no field more or less than the API reference shows. */
    private void assertSent(String json) {
        keystone.verify(postRequestedFor(urlEqualTo("/v3/auth/tokens")).withRequestBody(equalToJson(json)));
    }
}
