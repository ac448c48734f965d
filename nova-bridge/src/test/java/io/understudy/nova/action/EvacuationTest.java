package io.understudy.nova.action;

import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.equalToJson;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static io.understudy.nova.action.FakeNova.SERVER;
import static io.understudy.nova.action.LiveMigrationTest.FAST;
import static io.understudy.nova.action.LiveMigrationTest.MOVE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.understudy.nova.action.MoveResult.Outcome;
import io.understudy.nova.state.Migration;
import io.understudy.nova.state.Server;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Evacuation: only with a fence proof for the server's host, once, followed to ACTIVE on the target. */
class EvacuationTest {

    private static final Fenced COMPUTE1_FENCED = new Fenced("compute1", "test: nova-compute killed", Instant.now());

    private final FakeNova nova = new FakeNova("compute1", "compute2", "compute3");

    @BeforeEach
    void computeOneDies() {
        nova.services.get("compute1").up = false;
    }

    @AfterEach
    void stop() {
        nova.close();
    }

    @Test
    void rebuildsTheServerOfAFencedDeadHostOnTheTarget() {
        MoveResult result = evacuation().run(SERVER, "compute3", COMPUTE1_FENCED);

        assertThat(result.outcome()).as(result.summary()).isEqualTo(Outcome.COMPLETED);
        assertThat(result.reason()).isEqualTo("ACTIVE on compute3, 'evacuate' in its action log");
        assertThat(result.lastSeen()).get().extracting(Server::host, Server::status)
                .containsExactly(Optional.of("compute3"), "ACTIVE");
        assertThat(result.migration()).get().extracting(Migration::status).isEqualTo("done");
        nova.wireMock.verify(1, postRequestedFor(urlEqualTo("/v2.1/servers/" + SERVER + "/action"))
                .withHeader("OpenStack-API-Version", equalTo("compute 2.68"))
                .withRequestBody(equalToJson("{\"evacuate\": {\"host\": \"compute3\"}}")));
        assertThat(result.requests()).isEqualTo(nova.received("").size());
    }

    @Test
    void novaItselfRefusesWhileItSeesTheSourceUp() {
        nova.services.get("compute1").up = true;

        MoveResult result = evacuation().run(SERVER, "compute3", COMPUTE1_FENCED);

        assertThat(result.outcome()).as(result.summary()).isEqualTo(Outcome.REFUSED);
        assertThat(result.reason()).contains("Compute service of compute1 is still in use");
        assertThat(nova.received(MOVE)).as("a 400 is never sent again").hasSize(1);
        assertThat(nova.migrations).isEmpty();
    }

    @Test
    void aSourceForcedDownMomentsAgoIsEvacuatedAtOnceNoWaitForItsSilence() {
        FakeNova.Service compute1 = nova.services.get("compute1");
        compute1.up = true;
        compute1.reporting = true;
        ServiceChange forced = new ForceDown(nova.client(Duration.ofSeconds(5)), FAST).set("compute1",
                ForceDown.reason("failover of vm compute1 -> compute3", Instant.now()));
        assertThat(compute1.updatedAt).as("forcing it down rewrote updated_at").isAfter(Instant.now().minusSeconds(1));

        int servicesRead = nova.received("GET /v2.1/os-services").size();

        MoveResult result = evacuation().run(SERVER, "compute3", COMPUTE1_FENCED);

        assertThat(forced.outcome()).isEqualTo(ServiceChange.Outcome.CHANGED);
        assertThat(result.outcome()).as(result.summary()).isEqualTo(Outcome.COMPLETED);
        assertThat(nova.received("GET /v2.1/os-services")).as("the fence is the proof, not Nova's view")
                .hasSize(servicesRead);
        assertThat(result.timing().checks()).isLessThan(Duration.ofMillis(500));
    }

    @Test
    void aFenceOfAnotherHostProvesNothing() {
        MoveResult result = evacuation().run(SERVER, "compute3", new Fenced("compute2", "test", Instant.now()));

        assertThat(result.outcome()).isEqualTo(Outcome.NOT_FENCED);
        assertThat(result.reason()).isEqualTo("the server is vm (" + SERVER + ") ACTIVE on compute1, but the fence "
                + "proof is for compute2");
        assertThat(nova.received(MOVE)).isEmpty();
    }

    @Test
    void cannotBeAskedWithoutAProofOrOntoTheFencedHost() {
        assertThatThrownBy(() -> evacuation().run(SERVER, "compute3", null))
                .isInstanceOf(NullPointerException.class)
                .hasMessage("fenced is null: no evacuation without proof that its source is fenced");
        assertThatThrownBy(() -> evacuation().run(SERVER, "compute1", COMPUTE1_FENCED))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("evacuation target compute1 is the fenced host");
        assertThatThrownBy(() -> new Fenced("compute1", " ", Instant.now()))
                .hasMessage("fence of compute1: 'how' is blank");
    }

    @Test
    void anEvacuationNovaHasIsFollowedNeverStartedAgain() {
        nova.existing(Migration.EVACUATION, "compute1", "compute3", List.of("pre-migrating", "done"));

        MoveResult result = evacuation().run(SERVER, "compute3", COMPUTE1_FENCED);

        assertThat(result.outcome()).as(result.summary()).isEqualTo(Outcome.COMPLETED);
        assertThat(result.resumed()).isTrue();
        assertThat(nova.received(MOVE)).isEmpty();

        MoveResult again = evacuation().run(SERVER, "compute3", COMPUTE1_FENCED);

        assertThat(again.outcome()).as("a done evacuation is the same move, ended").isEqualTo(Outcome.COMPLETED);
        assertThat(nova.received(MOVE)).isEmpty();
    }

    @Test
    void anEvacuationToAnotherHostIsAConflictNotASecondEvacuation() {
        nova.existing(Migration.EVACUATION, "compute1", "compute2", List.of("pre-migrating"));

        MoveResult result = evacuation().run(SERVER, "compute3", COMPUTE1_FENCED);

        assertThat(result.outcome()).isEqualTo(Outcome.CONFLICT);
        assertThat(result.reason()).isEqualTo("Nova already has evacuation 1 compute1 -> compute2 pre-migrating; "
                + "a server is never evacuated twice");
        assertThat(nova.received(MOVE)).isEmpty();
    }

    @Test
    void anOldEvacuationFollowedByAMoveBackIsNotThisOne() {
        nova.existing(Migration.EVACUATION, "compute1", "compute2", List.of("completed"));
        nova.existing("migration", "compute2", "compute1", List.of("confirmed"));

        MoveResult result = evacuation().run(SERVER, "compute3", COMPUTE1_FENCED);

        assertThat(result.outcome()).as(result.summary()).isEqualTo(Outcome.COMPLETED);
        assertThat(result.resumed()).isFalse();
        assertThat(nova.received(MOVE)).hasSize(1);
    }

    @Test
    void anEvacuationThatFailedOnAComputeIsLeftToAnOperator() {
        nova.existing(Migration.EVACUATION, "compute1", "compute2", List.of("failed"));
        nova.task = null;

        MoveResult result = evacuation().run(SERVER, "compute3", COMPUTE1_FENCED);

        assertThat(result.outcome()).isEqualTo(Outcome.FAILED);
        assertThat(result.reason()).contains("evacuation 1 compute1 -> compute2 failed", "never evacuated twice");
        assertThat(nova.received(MOVE)).isEmpty();
    }

    @Test
    void aSchedulerRefusalLeavesTheServerOnItsSourceAndMayBeTriedElsewhere() {
        nova.evacuationScript = List.of("accepted", "error");

        MoveResult refused = evacuation().run(SERVER, "compute2", COMPUTE1_FENCED);

        assertThat(refused.outcome()).as(refused.summary()).isEqualTo(Outcome.REFUSED);
        assertThat(refused.reason()).contains("No valid host was found", "ACTIVE on compute1");

        nova.evacuationScript = List.of("accepted", "done");
        MoveResult next = evacuation().run(SERVER, "compute3", COMPUTE1_FENCED);

        assertThat(next.outcome()).as(next.summary()).isEqualTo(Outcome.COMPLETED);
        assertThat(nova.received(MOVE)).hasSize(2);
    }

    @Test
    void aLostAnswerAfterNovaActedIsNotAskedAgain() {
        nova.fault(new FakeNova.Fault(MOVE, 1, 502, "<html>bad gateway</html>", 0, true));

        MoveResult result = evacuation().run(SERVER, "compute3", COMPUTE1_FENCED);

        assertThat(result.outcome()).as(result.summary()).isEqualTo(Outcome.COMPLETED);
        assertThat(nova.received(MOVE)).hasSize(1);
        assertThat(nova.migrations).hasSize(1);
    }

    @Test
    void aHangingRequestNovaActedOnIsFollowedNotRepeated() {
        nova.fault(new FakeNova.Fault(MOVE, 1, 200, "", 1500, true));

        MoveResult result = new Evacuation(nova.client(Duration.ofMillis(300)), FAST).run(SERVER, "compute3",
                COMPUTE1_FENCED);

        assertThat(result.outcome()).as(result.summary()).isEqualTo(Outcome.COMPLETED);
        assertThat(nova.received(MOVE)).hasSize(1);
    }

    @Test
    void anExpiredTokenMidMoveLogsInAgain() {
        nova.revokeOnMove = Optional.of("token-1");

        MoveResult result = evacuation().run(SERVER, "compute3", COMPUTE1_FENCED);

        assertThat(result.outcome()).as(result.summary()).isEqualTo(Outcome.COMPLETED);
        assertThat(nova.tokensIssued()).containsExactly("token-1", "token-2");
        assertThat(nova.received(MOVE)).hasSize(1);
    }

    @Test
    void a409IsATaskStateConflict() {
        nova.task = "rebuilding";

        MoveResult result = evacuation().run(SERVER, "compute3", COMPUTE1_FENCED);

        assertThat(result.outcome()).isEqualTo(Outcome.CONFLICT);
        assertThat(result.reason()).contains("HTTP 409", "task_state rebuilding");
        assertThat(nova.received(MOVE)).hasSize(1);
    }

    @Test
    void resumeFollowsAnEvacuationInFlight() {
        assertThat(evacuation().resume(SERVER)).isEmpty();
        nova.existing(Migration.EVACUATION, "compute1", "compute2", List.of("accepted", "pre-migrating", "done"));

        assertThat(evacuation().resume(SERVER)).get()
                .extracting(MoveResult::outcome, MoveResult::target, MoveResult::resumed)
                .containsExactly(Outcome.COMPLETED, "compute2", true);
        assertThat(nova.received(MOVE)).isEmpty();
    }

    private Evacuation evacuation() {
        return new Evacuation(nova.client(Duration.ofSeconds(5)), FAST);
    }
}
