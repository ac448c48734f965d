package io.understudy.nova.action;

import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.equalToJson;
import static com.github.tomakehurst.wiremock.client.WireMock.putRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static io.understudy.nova.action.LiveMigrationTest.FAST;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;

import io.understudy.nova.state.ComputeService;
import io.understudy.nova.state.Migration;
import io.understudy.nova.state.Migrations;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class ForceDownTest {

    private static final String REASON = ForceDown.reason("failover of vm compute2 -> compute1",
            Instant.parse("2026-11-29T05:55:38.123Z"));

    private final FakeNova nova = new FakeNova("compute1", "compute2");
    private final ForceDown forceDown = new ForceDown(nova.client(Duration.ofSeconds(5)), FAST);

    @AfterEach
    void stop() {
        nova.close();
    }

    @Test
    void forcesDownAndDisablesWithTheReasonByTheServicesUuidAndReadsItBack() {
        nova.failing("PUT /v2.1/os-services/", 1, 503);

        ServiceChange change = forceDown.set("compute2", REASON);

        assertThat(REASON).isEqualTo("Understudy: failover of vm compute2 -> compute1 at 2026-11-29T05:55:38Z");
        assertThat(change.outcome()).as(change.reason()).isEqualTo(ServiceChange.Outcome.CHANGED);
        assertThat(change.before()).get().extracting(ComputeService::status).isEqualTo("enabled");
        assertThat(change.service()).get().extracting(ComputeService::forcedDown, ComputeService::up,
                ComputeService::status).containsExactly(true, false, "disabled: " + REASON);
        nova.wireMock.verify(2, putRequestedFor(urlEqualTo("/v2.1/os-services/" + nova.services.get("compute2").id))
                .withHeader("OpenStack-API-Version", equalTo("compute 2.53"))
                .withRequestBody(equalToJson("{\"forced_down\": true, \"status\": \"disabled\", "
                        + "\"disabled_reason\": \"" + REASON + "\"}")));
        assertThat(change.requestIds()).hasSize(2);
        assertThat(change.requests()).isEqualTo(nova.received("").size());
    }

    @Test
    void anOperatorsDisableIsKeptWithItsReasonAndNotLiftedAfterwards() {
        FakeNova.Service service = nova.services.get("compute2");
        service.disabled = true;
        service.disabledReason = "RAM replaced, ticket 42";

        ServiceChange forced = forceDown.set("compute2", REASON);

        assertThat(forced.outcome()).isEqualTo(ServiceChange.Outcome.CHANGED);
        assertThat(forced.before()).get().extracting(ComputeService::status)
                .isEqualTo("disabled: RAM replaced, ticket 42");
        nova.wireMock.verify(1, putRequestedFor(urlEqualTo("/v2.1/os-services/" + service.id))
                .withRequestBody(equalToJson("{\"forced_down\": true}")));

        ServiceChange lifted = forceDown.lift("compute2");

        assertThat(lifted.outcome()).isEqualTo(ServiceChange.Outcome.CHANGED);
        assertThat(lifted.service()).get().extracting(ComputeService::forcedDown, ComputeService::status)
                .containsExactly(false, "disabled: RAM replaced, ticket 42");
        nova.wireMock.verify(1, putRequestedFor(urlEqualTo("/v2.1/os-services/" + service.id))
                .withRequestBody(equalToJson("{\"forced_down\": false}")));
    }

    @Test
    void liftingEnablesWhatUnderstudyDisabledEvenOnceForcedDownIsLifted() {
        FakeNova.Service service = nova.services.get("compute2");
        service.disabled = true;
        service.disabledReason = REASON;

        ServiceChange lifted = forceDown.lift("compute2");

        assertThat(lifted.outcome()).isEqualTo(ServiceChange.Outcome.CHANGED);
        assertThat(lifted.service()).get().extracting(ComputeService::status).isEqualTo("enabled");
        nova.wireMock.verify(1, putRequestedFor(urlEqualTo("/v2.1/os-services/" + service.id))
                .withRequestBody(equalToJson("{\"status\": \"enabled\"}")));
        assertThat(forceDown.lift("compute2").outcome()).isEqualTo(ServiceChange.Outcome.UNCHANGED);
    }

    @Test
    void aReasonWithoutUnderstudysMarkOrTooLongForNovaIsRefusedBeforeAsking() {
        assertThatThrownBy(() -> forceDown.set("compute2", "host failed"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("disabled reason 'host failed' must begin with 'Understudy: ' and have at most 255 characters");
        assertThat(ForceDown.reason("x".repeat(300), Instant.EPOCH)).hasSize(255).startsWith("Understudy: xxx");
        assertThat(nova.received("")).isEmpty();
    }

    @Test
    void nothingIsSentWhenNovaHasItSoAlready() {
        ServiceChange change = forceDown.lift("compute1");

        assertThat(change.outcome()).isEqualTo(ServiceChange.Outcome.UNCHANGED);
        assertThat(change.done()).isTrue();
        assertThat(nova.received("PUT")).isEmpty();
    }

    @Test
    void liftingWaitsUntilTheHostHasCleanedUpAfterItsEvacuations() {
        nova.services.get("compute1").forcedDown = true;
        nova.services.get("compute1").disabled = true;
        nova.services.get("compute1").disabledReason = REASON;
        FakeNova.Move evacuated = nova.existing(Migration.EVACUATION, "compute1", "compute2", List.of("done"));

        ServiceChange waiting = forceDown.lift("compute1");

        assertThat(waiting.outcome()).isEqualTo(ServiceChange.Outcome.AWAITING_CLEANUP);
        assertThat(waiting.reason()).contains("evacuation 1 compute1 -> compute2 done of server " + FakeNova.SERVER);
        assertThat(waiting.awaitingCleanup()).extracting(Migration::id).containsExactly(1L);
        assertThat(nova.received("PUT")).isEmpty();

        evacuated.override = "completed";
        ServiceChange lifted = forceDown.lift("compute1");

        assertThat(lifted.outcome()).isEqualTo(ServiceChange.Outcome.CHANGED);
        assertThat(lifted.service()).get().extracting(ComputeService::forcedDown, ComputeService::enabled)
                .containsExactly(false, true);
        nova.wireMock.verify(1, putRequestedFor(urlEqualTo("/v2.1/os-services/" + nova.services.get("compute1").id))
                .withRequestBody(equalToJson("{\"forced_down\": false, \"status\": \"enabled\"}")));
    }

    @Test
    void novasOwnRefusalIsReportedWithItsWords() {
        nova.services.get("compute1").forcedDown = true;
        nova.fault(new FakeNova.Fault("PUT /v2.1/os-services/", 1, 400,
                "{\"badRequest\": {\"code\": 400, \"message\": \"Unable to force up host compute1\"}}", 0, false));

        ServiceChange change = forceDown.lift("compute1");

        assertThat(change.outcome()).isEqualTo(ServiceChange.Outcome.REFUSED);
        assertThat(change.reason()).contains("HTTP 400", "Unable to force up host compute1", "[req-");
        assertThat(change.service()).get().extracting(ComputeService::forcedDown).isEqualTo(true);
        assertThat(nova.received("PUT")).hasSize(1);
    }

    @Test
    void anUnknownHostIsRefusedAndAnUnreachableNovaUnresolved() {
        assertThat(forceDown.set("compute9", REASON).reason()).isEqualTo("Nova knows no nova-compute on compute9");

        nova.failing("GET /v2.1/os-services", 3, 500);
        ServiceChange change = forceDown.set("compute2", REASON);

        assertThat(change.outcome()).isEqualTo(ServiceChange.Outcome.UNRESOLVED);
        assertThat(change.reason()).startsWith("GET /os-services?binary=nova-compute&host=compute2 at 2.53: HTTP 500");
    }

    @Test
    void everyEvacuationAwayFromAHostIsListedWhateverItsStatus() {
        nova.existing(Migration.EVACUATION, "compute1", "compute2", List.of("completed"));
        nova.existing(Migration.LIVE_MIGRATION, "compute1", "compute2", List.of("completed"));
        nova.existing(Migration.EVACUATION, "compute2", "compute1", List.of("done"));
        nova.existing(Migration.EVACUATION, "compute1", "compute2", List.of("done"));

        List<Migration> from = new Migrations(nova.client(Duration.ofSeconds(5))).evacuationsFrom("compute1");

        assertThat(from).extracting(Migration::id, Migration::status).containsExactly(tuple(4L, "done"),
                tuple(1L, "completed"));
    }
}
