package io.understudy.nova.action;

import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.equalToJson;
import static com.github.tomakehurst.wiremock.client.WireMock.putRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static io.understudy.nova.action.LiveMigrationTest.FAST;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import io.understudy.nova.state.ComputeService;
import io.understudy.nova.state.Migration;
import io.understudy.nova.state.Migrations;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class ForceDownTest {

    private final FakeNova nova = new FakeNova("compute1", "compute2");
    private final ForceDown forceDown = new ForceDown(nova.client(Duration.ofSeconds(5)), FAST);

    @AfterEach
    void stop() {
        nova.close();
    }

    @Test
    void forcesDownByTheServicesUuidAndReadsItBack() {
        nova.failing("PUT /v2.1/os-services/", 1, 503);

        ServiceChange change = forceDown.set("compute2");

        assertThat(change.outcome()).as(change.reason()).isEqualTo(ServiceChange.Outcome.CHANGED);
        assertThat(change.service()).get().extracting(ComputeService::forcedDown, ComputeService::up)
                .containsExactly(true, false);
        nova.wireMock.verify(2, putRequestedFor(urlEqualTo("/v2.1/os-services/" + nova.services.get("compute2").id))
                .withHeader("OpenStack-API-Version", equalTo("compute 2.53"))
                .withRequestBody(equalToJson("{\"forced_down\": true}")));
        assertThat(change.requestIds()).hasSize(2);
        assertThat(change.requests()).isEqualTo(nova.received("").size());
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
        FakeNova.Move evacuated = nova.existing(Migration.EVACUATION, "compute1", "compute2", List.of("done"));

        ServiceChange waiting = forceDown.lift("compute1");

        assertThat(waiting.outcome()).isEqualTo(ServiceChange.Outcome.AWAITING_CLEANUP);
        assertThat(waiting.reason()).contains("evacuation 1 compute1 -> compute2 done of server " + FakeNova.SERVER);
        assertThat(waiting.awaitingCleanup()).extracting(Migration::id).containsExactly(1L);
        assertThat(nova.received("PUT")).isEmpty();

        evacuated.override = "completed";
        ServiceChange lifted = forceDown.lift("compute1");

        assertThat(lifted.outcome()).isEqualTo(ServiceChange.Outcome.CHANGED);
        assertThat(lifted.service()).get().extracting(ComputeService::forcedDown).isEqualTo(false);
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
        assertThat(forceDown.set("compute9").reason()).isEqualTo("Nova knows no nova-compute on compute9");

        nova.failing("GET /v2.1/os-services", 3, 500);
        ServiceChange change = forceDown.set("compute2");

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
