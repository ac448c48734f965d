package io.understudy.scheduler.moves;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.equalToJson;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.getRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.wireMockConfig;
import static com.github.tomakehurst.wiremock.stubbing.Scenario.STARTED;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.github.tomakehurst.wiremock.WireMockServer;
import io.understudy.scheduler.bmc.Bmc;
import io.understudy.scheduler.bmc.Bmcs;
import io.understudy.scheduler.bmc.PowerReading;
import io.understudy.scheduler.bmc.PowerReading.Power;
import io.understudy.scheduler.config.FenceConfig;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Redfish fencer and power channel against WireMock playing a BMC over HTTPS, with its own CA
 * ({@code src/test/resources/bmc}: {@code ca.pem} signed {@code bmc.p12}'s certificate for
 * localhost and 127.0.0.1, made with openssl; {@code other-ca.pem} is an unrelated CA).
 */
class RedfishFencerTest {

    private static final String SYSTEM = "/redfish/v1/Systems/1";
    private static final String RESET = SYSTEM + "/Actions/ComputerSystem.Reset";
    private static final UUID VM = UUID.fromString("0b5c1f3e-8d2a-4c6b-9e7f-1a2b3c4d5e6f");

    @TempDir
    Path dir;

    private WireMockServer bmc;
    private Path credentials;

    @BeforeEach
    void start() throws Exception {
        bmc = new WireMockServer(wireMockConfig().httpDisabled(true).dynamicHttpsPort()
                .keystorePath(resource("bmc.p12").toString()).keystoreType("PKCS12")
                .keystorePassword("understudy").keyManagerPassword("understudy"));
        bmc.start();
        credentials = Files.writeString(dir.resolve("credentials"), "admin:s3cret:with:colons\n");
    }

    @AfterEach
    void stop() {
        bmc.stop();
    }

    @Test
    void powersTheHostOffAndWaitsUntilTheBmcReportsOff() throws Exception {
        power(STARTED, "On", STARTED);
        bmc.stubFor(post(RESET).inScenario("power").whenScenarioStateIs(STARTED)
                .willReturn(aResponse().withStatus(204)).willSetStateTo("stopping"));
        power("stopping", "PoweringOff", "off");
        power("off", "Off", "off");

        Fencer.Fence fence = fencer(Duration.ofSeconds(5)).fence("compute1", VM);

        assertThat(fence.proof()).as(fence.note()).get().satisfies(p -> {
            assertThat(p.host()).isEqualTo("compute1");
            assertThat(p.how()).isEqualTo("redfish " + system() + ": ForceOff, then its BMC reported it off "
                    + "(PowerState Off)");
        });
        bmc.verify(1, postRequestedFor(urlEqualTo(RESET)).withRequestBody(equalToJson("{\"ResetType\": \"ForceOff\"}"))
                .withHeader("Authorization", equalTo("Basic YWRtaW46czNjcmV0OndpdGg6Y29sb25z")));
        bmc.verify(3, getRequestedFor(urlEqualTo(SYSTEM)));
    }

    @Test
    void aHostItsBmcReportsOffAlreadyNeedsNoForceOff() throws Exception {
        bmc.stubFor(get(SYSTEM).willReturn(okJson("{\"Id\": \"1\", \"PowerState\": \"Off\"}")));

        Fencer.Fence fence = fencer(Duration.ofSeconds(5)).fence("compute1", VM);

        assertThat(fence.proof()).isPresent();
        assertThat(fence.note()).isEqualTo("compute1 fenced: its BMC reports it off already (" + system() + ")");
        bmc.verify(0, postRequestedFor(urlEqualTo(RESET)));
    }

    @Test
    void aBmcThatDoesNotAnswerInTimeIsNoFence() throws Exception {
        bmc.stubFor(get(SYSTEM).willReturn(okJson("{\"PowerState\": \"On\"}").withFixedDelay(1500)));

        long began = System.nanoTime();
        Fencer.Fence fence = fencer(Duration.ofMillis(300)).fence("compute1", VM);

        assertThat(Duration.ofNanos(System.nanoTime() - began)).isLessThan(Duration.ofMillis(1200));
        assertThat(fence.proof()).isEmpty();
        assertThat(fence.note()).startsWith("redfish: " + system() + " did not answer: no answer within ");
        bmc.verify(0, postRequestedFor(urlEqualTo(RESET)));
    }

    @Test
    void aBmcThatRefusesTheCredentialsOrFailsIsNoFence() throws Exception {
        bmc.stubFor(get(SYSTEM).willReturn(okJson("{\"PowerState\": \"On\"}")));
        bmc.stubFor(post(RESET).willReturn(aResponse().withStatus(401)
                .withBody("{\"error\": {\"message\": \"Invalid credentials\"}}")));

        Fencer.Fence refused = fencer(Duration.ofSeconds(5)).fence("compute1", VM);

        assertThat(refused.proof()).isEmpty();
        assertThat(refused.note()).isEqualTo("redfish: ForceOff of compute1: " + system()
                + "/Actions/ComputerSystem.Reset refused ForceOff: HTTP 401: {\"error\": {\"message\": "
                + "\"Invalid credentials\"}}");

        bmc.stubFor(post(RESET).willReturn(aResponse().withStatus(503)));
        assertThat(fencer(Duration.ofSeconds(5)).fence("compute1", VM).note()).endsWith("refused ForceOff: HTTP 503");

        bmc.stubFor(get(SYSTEM).willReturn(aResponse().withStatus(500)));
        assertThat(fencer(Duration.ofSeconds(5)).fence("compute1", VM).note())
                .isEqualTo("redfish: " + system() + " answered HTTP 500");
    }

    @Test
    void aHostStillReportedOnAfterTheTimeoutIsNoFence() throws Exception {
        bmc.stubFor(get(SYSTEM).willReturn(okJson("{\"PowerState\": \"On\"}")));
        bmc.stubFor(post(RESET).willReturn(aResponse().withStatus(200)));

        Fencer.Fence fence = fencer(Duration.ofSeconds(1)).fence("compute1", VM);

        assertThat(fence.proof()).isEmpty();
        assertThat(fence.note())
                .startsWith("redfish: compute1 not reported Off within 1000 ms of ForceOff (last read: ");
        bmc.verify(1, postRequestedFor(urlEqualTo(RESET)));
    }

    @Test
    void aBmcWhoseCertificateTheConfiguredCaDidNotSignIsNeverTrusted() throws Exception {
        bmc.stubFor(get(SYSTEM).willReturn(okJson("{\"PowerState\": \"Off\"}")));
        Bmcs bmcs = new Bmcs(Map.of("compute1", Bmc.of(config(Optional.of(resource("other-ca.pem")),
                Duration.ofSeconds(5)))));

        Fencer.Fence fence = new RedfishFencer(bmcs, Duration.ofSeconds(5), Duration.ofMillis(20), Clock.systemUTC())
                .fence("compute1", VM);

        assertThat(fence.proof()).isEmpty();
        assertThat(fence.note()).startsWith("redfish: TLS with " + system() + " failed: ");
        assertThat(bmc.getAllServeEvents()).isEmpty();
    }

    @Test
    void thePowerChannelSaysOffOrUnreachableOnlyWhenTheBmcDoes() throws Exception {
        Bmcs bmcs = new Bmcs(Map.of("compute1", Bmc.of(config(Optional.of(resource("ca.pem")),
                Duration.ofSeconds(5)))));
        bmc.stubFor(get(SYSTEM).willReturn(okJson("{\"PowerState\": \"On\"}")));
        assertThat(bmcs.read("compute1", Duration.ofSeconds(2))).get()
                .isEqualTo(new PowerReading(Power.ON, "PowerState On"));
        bmc.stubFor(get(SYSTEM).willReturn(okJson("{\"PowerState\": \"Off\"}")));
        assertThat(bmcs.read("compute1", Duration.ofSeconds(2))).get().satisfies(r -> assertThat(r.offOrUnreachable())
                .isTrue());
        bmc.stubFor(get(SYSTEM).willReturn(aResponse().withStatus(401)));
        assertThat(bmcs.read("compute1", Duration.ofSeconds(2))).get()
                .satisfies(r -> assertThat(r.power()).isEqualTo(Power.UNKNOWN))
                .satisfies(r -> assertThat(r.offOrUnreachable()).as("a refusal says nothing of the power").isFalse());
        assertThat(bmcs.read("compute2", Duration.ofSeconds(2))).as("no BMC configured").isEmpty();
        assertThat(bmcs.hosts()).containsExactly("compute1");

        String system = system();
        bmc.stop();
        assertThat(bmcs.read("compute1", Duration.ofSeconds(2))).get()
                .satisfies(r -> assertThat(r.power()).isEqualTo(Power.UNREACHABLE))
                .satisfies(r -> assertThat(r.detail()).startsWith(system + " did not answer: "));
    }

    @Test
    void credentialsAndCaFilesAreCheckedWhenTheFencerIsMade() throws Exception {
        assertThatThrownBy(() -> Bmc.of(new FenceConfig.Redfish(URI.create("https://bmc1"), "1",
                dir.resolve("missing"), Optional.empty(), Duration.ofSeconds(5))))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("BMC credentials " + dir.resolve("missing") + ": no such file");
        Path noColon = Files.writeString(dir.resolve("bad"), "admin\n");
        assertThatThrownBy(() -> Bmc.of(new FenceConfig.Redfish(URI.create("https://bmc1"), "1", noColon,
                Optional.empty(), Duration.ofSeconds(5))))
                .hasMessage("BMC credentials " + noColon + ": the first line is not USER:PASSWORD");
        Path notPem = Files.writeString(dir.resolve("ca.pem"), "not a certificate\n");
        assertThatThrownBy(() -> Bmc.of(new FenceConfig.Redfish(URI.create("https://bmc1"), "1", credentials,
                Optional.of(notPem), Duration.ofSeconds(5))))
                .hasMessageStartingWith("BMC CA " + notPem + " ");
    }

    private RedfishFencer fencer(Duration timeout) throws Exception {
        Bmcs bmcs = new Bmcs(Map.of("compute1", Bmc.of(config(Optional.of(resource("ca.pem")), timeout))));
        return new RedfishFencer(bmcs, timeout, Duration.ofMillis(20), Clock.systemUTC());
    }

    private FenceConfig.Redfish config(Optional<Path> ca, Duration timeout) {
        return new FenceConfig.Redfish(URI.create("https://localhost:" + bmc.httpsPort()), "1", credentials, ca,
                timeout);
    }

    private String system() {
        return "https://localhost:" + bmc.httpsPort() + SYSTEM;
    }

    /** GET of the system answers STATE while the scenario is in WHEN, then moves it to NEXT. */
    private void power(String when, String state, String next) {
        bmc.stubFor(get(SYSTEM).inScenario("power").whenScenarioStateIs(when)
                .willReturn(okJson("{\"Id\": \"1\", \"PowerState\": \"" + state + "\"}")).willSetStateTo(next));
    }

    private static Path resource(String name) throws URISyntaxException {
        return Path.of(RedfishFencerTest.class.getResource("/bmc/" + name).toURI());
    }
}
