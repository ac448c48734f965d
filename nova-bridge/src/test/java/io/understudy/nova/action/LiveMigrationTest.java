package io.understudy.nova.action;

import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.equalToJson;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static io.understudy.nova.action.FakeNova.SERVER;
import static org.assertj.core.api.Assertions.assertThat;

import io.understudy.nova.action.MoveResult.Outcome;
import io.understudy.nova.client.Backoff;
import io.understudy.nova.client.RetryPolicy;
import io.understudy.nova.state.Migration;
import io.understudy.nova.state.Server;
import io.understudy.nova.testing.LogLines;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Live migration against a Nova that fails on demand: every ending is final and the move is never asked twice. */
class LiveMigrationTest {

    static final ActionSettings FAST = new ActionSettings(
            new RetryPolicy(3, new Backoff(Duration.ofMillis(10), Duration.ofMillis(40))),
            new Backoff(Duration.ofMillis(10), Duration.ofMillis(20)),
            Duration.ofSeconds(3), Duration.ZERO, ActionSettings.OnTimeout.ABORT, Duration.ofSeconds(1),
            Duration.ofSeconds(3));
    static final String MOVE = "POST /v2.1/servers/" + SERVER + "/action";

    private final FakeNova nova = new FakeNova("compute1", "compute2", "compute3");

    @RegisterExtension
    final LogLines logged = new LogLines(LiveMigration.class);

    @AfterEach
    void stop() {
        nova.close();
    }

    @Test
    void movesToTheChosenHostAndReadsItBack() {
        MoveResult result = liveMigration(FAST).run(SERVER, "compute2");

        assertThat(result.outcome()).as(result.summary()).isEqualTo(Outcome.COMPLETED);
        assertThat(result.lastSeen()).get().extracting(Server::host, Server::status)
                .containsExactly(Optional.of("compute2"), "ACTIVE");
        assertThat(result.migration()).get().extracting(Migration::status).isEqualTo("completed");
        assertThat(result.resumed()).isFalse();
        assertThat(result.requestIds()).isEqualTo(requestIdsOf(MOVE));
        assertThat(result.requests()).as("every request counted").isEqualTo(nova.received("").size());
        nova.wireMock.verify(1, postRequestedFor(urlEqualTo("/v2.1/servers/" + SERVER + "/action"))
                .withHeader("OpenStack-API-Version", equalTo("compute 2.68"))
                .withRequestBody(equalToJson("{\"os-migrateLive\": {\"host\": \"compute2\", \"block_migration\": \"auto\"}}")));
    }

    @Test
    void whileItRunsHowFarItHasCopiedIsLoggedFromNovasFigures() {
        nova.liveMigrationScript = List.of("accepted", "running", "running", "completed");

        MoveResult result = liveMigration(FAST).run(SERVER, "compute2");

        assertThat(result.outcome()).as(result.summary()).isEqualTo(Outcome.COMPLETED);
        assertThat(logged.lines()).as("read at the first sight of it running, then not again within "
                + LiveMigration.PROGRESS_EVERY).filteredOn(l -> l.contains("copied")).singleElement().asString()
                .endsWith("live-migration 1 compute1 -> compute2 running: memory 50% of 1.0 GiB, disk 50% of 1.0 GiB "
                        + "copied");
        assertThat(nova.received("GET /v2.1/servers/" + SERVER + "/migrations/1")).hasSize(1);
        assertThat(result.requests()).as("the progress read counted").isEqualTo(nova.received("").size());
    }

    @Test
    void ridesOut5xxBurstsWhileFollowing() {
        nova.faultsOnMove.add(fault("GET /v2.1/os-migrations", 2, 503));
        nova.faultsOnMove.add(fault("GET /v2.1/servers/", 2, 500));

        MoveResult result = liveMigration(FAST).run(SERVER, "compute2");

        assertThat(result.outcome()).as(result.summary()).isEqualTo(Outcome.COMPLETED);
        assertThat(nova.received(MOVE)).hasSize(1);
        assertThat(result.requests()).isEqualTo(nova.received("").size());
    }

    @Test
    void anAnswerLostAfterNovaActedIsNotAskedAgain() {
        nova.fault(new FakeNova.Fault(MOVE, 1, 500, "{\"computeFault\": {\"code\": 500}}", 0, true));

        MoveResult result = liveMigration(FAST).run(SERVER, "compute2");

        assertThat(result.outcome()).as(result.summary()).isEqualTo(Outcome.COMPLETED);
        assertThat(nova.received(MOVE)).hasSize(1);
        assertThat(nova.migrations).hasSize(1);
        assertThat(result.requestIds()).as("the 500 still carried Nova's request id").isEqualTo(requestIdsOf(MOVE));
    }

    @Test
    void aHangingRequestNovaActedOnIsFollowedNotRepeated() {
        nova.fault(new FakeNova.Fault(MOVE, 1, 202, "", 1500, true));

        MoveResult result = new LiveMigration(nova.client(Duration.ofMillis(300)), FAST).run(SERVER, "compute2");

        assertThat(result.outcome()).as(result.summary()).isEqualTo(Outcome.COMPLETED);
        assertThat(nova.received(MOVE)).hasSize(1);
        assertThat(nova.migrations).hasSize(1);
    }

    @Test
    void aRequestRefusedBeforeNovaActedIsAskedAgainAndStartsOnce() {
        nova.failing(MOVE, 2, 503);

        MoveResult result = liveMigration(FAST).run(SERVER, "compute2");

        assertThat(result.outcome()).as(result.summary()).isEqualTo(Outcome.COMPLETED);
        assertThat(nova.received(MOVE)).as("two 503s from a Nova that did nothing, then the one it accepted").hasSize(3);
        assertThat(nova.migrations).as("one migration").hasSize(1);
    }

    @Test
    void anExpiredTokenMidMoveLogsInAgain() {
        nova.revokeOnMove = Optional.of("token-1");

        MoveResult result = liveMigration(FAST).run(SERVER, "compute2");

        assertThat(result.outcome()).as(result.summary()).isEqualTo(Outcome.COMPLETED);
        assertThat(nova.tokensIssued()).containsExactly("token-1", "token-2");
        assertThat(nova.received(MOVE)).hasSize(1);
    }

    @Test
    void a409IsReportedAsATaskStateConflictAndNotFollowed() {
        nova.task = "resize_prep";

        MoveResult result = liveMigration(FAST).run(SERVER, "compute2");

        assertThat(result.outcome()).isEqualTo(Outcome.CONFLICT);
        assertThat(result.reason()).contains("HTTP 409", "task_state resize_prep", "[req-");
        assertThat(nova.received(MOVE)).hasSize(1);
        assertThat(nova.received("GET /v2.1/os-migrations")).as("only the read before asking").hasSize(1);
    }

    @Test
    void aRefusalByTheApiEndsWithNovasReason() {
        MoveResult result = liveMigration(FAST).run(SERVER, "compute9");

        assertThat(result.outcome()).isEqualTo(Outcome.REFUSED);
        assertThat(result.reason()).contains("HTTP 400", "Compute host compute9 could not be found.");
        assertThat(result.lastSeen()).get().extracting(Server::host).isEqualTo(Optional.of("compute1"));
        assertThat(nova.received(MOVE)).hasSize(1);
    }

    @Test
    void aRefusalByTheSchedulerEndsWithItsReasonAndTheServerWhereItWas() {
        nova.liveMigrationScript = List.of("accepted", "error");

        MoveResult result = liveMigration(FAST).run(SERVER, "compute2");

        assertThat(result.outcome()).as(result.summary()).isEqualTo(Outcome.REFUSED);
        assertThat(result.reason()).contains("live-migration 1 compute1 -> compute2 error",
                "No valid host was found", "still ACTIVE on compute1");
        assertThat(nova.received(MOVE)).hasSize(1);
    }

    @Test
    void anAcceptanceWithAGarbledBodyIsAnAcceptance() {
        nova.fault(new FakeNova.Fault(MOVE, 1, 202, "<html>accepted</html>", 0, true));

        MoveResult result = liveMigration(FAST).run(SERVER, "compute2");

        assertThat(result.outcome()).as(result.summary()).isEqualTo(Outcome.COMPLETED);
        assertThat(nova.received(MOVE)).hasSize(1);
    }

    @Test
    void aMalformedAnswerIsReadAgain() {
        nova.faultsOnMove.add(new FakeNova.Fault("GET /v2.1/os-migrations", 1, 200, "<html>proxy error</html>", 0, false));

        MoveResult result = liveMigration(FAST).run(SERVER, "compute2");

        assertThat(result.outcome()).as(result.summary()).isEqualTo(Outcome.COMPLETED);
        assertThat(nova.received(MOVE)).hasSize(1);
    }

    @Test
    void answersThatStayMalformedEndUnresolvedNamingThem() {
        nova.faultsOnMove.add(new FakeNova.Fault("GET /v2.1/os-migrations", 100, 200, "<html>proxy error</html>", 0, false));

        MoveResult result = liveMigration(FAST).run(SERVER, "compute2");

        assertThat(result.outcome()).isEqualTo(Outcome.UNRESOLVED);
        assertThat(result.reason()).startsWith("lost track while waiting for Nova's live-migration record: ")
                .contains("body that is not JSON: <html>proxy error</html>");
        assertThat(nova.received(MOVE)).hasSize(1);
    }

    @Test
    void aNovaThatHangsWhileFollowedEndsUnresolvedAndIsNotAskedAgain() {
        nova.faultsOnMove.add(new FakeNova.Fault("GET /v2.1/os-migrations", 100, 200, "{}", 1000, false));

        MoveResult result = new LiveMigration(nova.client(Duration.ofMillis(200)), FAST).run(SERVER, "compute2");

        assertThat(result.outcome()).isEqualTo(Outcome.UNRESOLVED);
        assertThat(result.reason()).contains("no response");
        assertThat(nova.received(MOVE)).hasSize(1);
    }

    @Test
    void pastItsTimeItIsAborted() {
        nova.liveMigrationScript = List.of("accepted", "running");

        MoveResult result = liveMigration(withTimeout(ActionSettings.OnTimeout.ABORT)).run(SERVER, "compute2");

        assertThat(result.outcome()).as(result.summary()).isEqualTo(Outcome.ABORTED);
        assertThat(result.lastSeen()).get().extracting(Server::host).isEqualTo(Optional.of("compute1"));
        assertThat(nova.received("DELETE /v2.1/servers/" + SERVER + "/migrations/1")).hasSize(1)
                .allSatisfy(r -> assertThat(r.getHeader("OpenStack-API-Version")).isEqualTo("compute 2.65"));
        assertThat(nova.received(MOVE)).hasSize(1);
    }

    @Test
    void pastItsTimeItIsForcedToCompleteWhenSoConfigured() {
        nova.liveMigrationScript = List.of("accepted", "running");

        MoveResult result = liveMigration(withTimeout(ActionSettings.OnTimeout.FORCE_COMPLETE)).run(SERVER, "compute2");

        assertThat(result.outcome()).as(result.summary()).isEqualTo(Outcome.COMPLETED);
        nova.wireMock.verify(1, postRequestedFor(urlEqualTo("/v2.1/servers/" + SERVER + "/migrations/1/action"))
                .withHeader("OpenStack-API-Version", equalTo("compute 2.22"))
                .withRequestBody(equalToJson("{\"force_complete\": null}")));
    }

    @Test
    void aNewActionFollowsTheMigrationNovaHasInFlightInsteadOfStartingAnother() {
        nova.existing(Migration.LIVE_MIGRATION, "compute1", "compute2", List.of("running", "running", "completed"));

        MoveResult result = liveMigration(FAST).run(SERVER, "compute2");

        assertThat(result.outcome()).as(result.summary()).isEqualTo(Outcome.COMPLETED);
        assertThat(result.resumed()).isTrue();
        assertThat(result.timing().request()).isZero();
        assertThat(nova.received(MOVE)).isEmpty();
    }

    @Test
    void aMigrationFoundPastItsTimeIsAbortedAtOnce() {
        nova.existing(Migration.LIVE_MIGRATION, "compute1", "compute2", List.of("running"),
                java.time.Instant.now().minus(FAST.liveMigrationTimeout()));

        MoveResult result = liveMigration(FAST).run(SERVER, "compute2");

        assertThat(result.outcome()).as(result.summary()).isEqualTo(Outcome.ABORTED);
        assertThat(result.timing().nova()).as("its time counts from Nova's record").isLessThan(Duration.ofSeconds(2));
        assertThat(nova.received("DELETE /v2.1/servers/" + SERVER + "/migrations/1")).hasSize(1);
        assertThat(nova.received(MOVE)).isEmpty();
    }

    @Test
    void resumeFollowsWhatIsInFlightAndOnlyThat() {
        assertThat(liveMigration(FAST).resume(SERVER)).as("nothing in flight").isEmpty();

        nova.existing(Migration.LIVE_MIGRATION, "compute1", "compute3", List.of("running", "completed"));
        Optional<MoveResult> resumed = liveMigration(FAST).resume(SERVER);

        assertThat(resumed).get().extracting(MoveResult::outcome, MoveResult::target, MoveResult::resumed)
                .containsExactly(Outcome.COMPLETED, "compute3", true);
        assertThat(nova.received(MOVE)).isEmpty();
    }

    @Test
    void anotherMoveInFlightIsAConflictAndNothingIsAsked() {
        nova.existing(Migration.LIVE_MIGRATION, "compute1", "compute3", List.of("running"));

        MoveResult result = liveMigration(FAST).run(SERVER, "compute2");

        assertThat(result.outcome()).isEqualTo(Outcome.CONFLICT);
        assertThat(result.reason()).isEqualTo("Nova has live-migration 1 compute1 -> compute3 running in flight for it");
        assertThat(nova.received(MOVE)).isEmpty();
    }

    @Test
    void aServerAlreadyThereIsNotMoved() {
        nova.host = "compute2";

        MoveResult result = liveMigration(FAST).run(SERVER, "compute2");

        assertThat(result.outcome()).isEqualTo(Outcome.COMPLETED);
        assertThat(result.reason()).isEqualTo("already ACTIVE on compute2, nothing asked");
        assertThat(nova.received(MOVE)).isEmpty();
    }

    private LiveMigration liveMigration(ActionSettings settings) {
        return new LiveMigration(nova.client(Duration.ofSeconds(5)), settings);
    }

    private List<String> requestIdsOf(String prefix) {
        return nova.received(prefix).stream().map(r -> nova.wireMock.getServeEvents().getServeEvents().stream()
                .filter(e -> e.getRequest().getId().equals(r.getId())).findFirst().orElseThrow()
                .getResponse().getHeaders().getHeader("x-openstack-request-id").firstValue()).toList();
    }

    private static ActionSettings withTimeout(ActionSettings.OnTimeout onTimeout) {
        return new ActionSettings(FAST.retry(), FAST.polling(), Duration.ofMillis(200), Duration.ZERO, onTimeout,
                FAST.settleTimeout(), FAST.evacuationTimeout());
    }

    private static FakeNova.Fault fault(String prefix, int times, int status) {
        return new FakeNova.Fault(prefix, times, status, "{\"computeFault\": {\"code\": " + status + "}}", 0, false);
    }
}
