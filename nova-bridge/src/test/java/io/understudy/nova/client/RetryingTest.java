package io.understudy.nova.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.MissingNode;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;

class RetryingTest {

    private static final RetryPolicy THREE = new RetryPolicy(3, new Backoff(Duration.ofMillis(1), Duration.ofMillis(2)));

    private final List<NovaRequest> sent = new ArrayList<>();
    private final Deque<Integer> statuses = new ArrayDeque<>();

    /** Answers each request with the next status queued; 0 is no answer at all. */
    private final NovaCalls nova = request -> {
        sent.add(request);
        int status = statuses.isEmpty() ? 200 : statuses.pop();
        if (status == 200) {
            return new NovaResponse(200, MissingNode.getInstance(), Optional.of("req-ok"));
        }
        throw new NovaException(request + ": " + (status == 0 ? "no response" : "HTTP " + status),
                status == 0 ? OptionalInt.empty() : OptionalInt.of(status), Optional.of("req-" + sent.size()), null);
    };

    @Test
    void sendsAgainAfter5xxAndLostAnswers() {
        statuses.addAll(List.of(503, 0));

        NovaResponse response = new Retrying(nova, THREE).send(NovaRequest.get("/servers", new Microversion(2, 1)));

        assertThat(response.requestId()).contains("req-ok");
        assertThat(sent).hasSize(3);
    }

    @Test
    void neverAfter4xx() {
        statuses.addAll(List.of(404, 200));

        assertThatThrownBy(() -> new Retrying(nova, THREE).send(NovaRequest.get("/servers/x", new Microversion(2, 1))))
                .isInstanceOfSatisfying(NovaException.class, e -> assertThat(e.status()).hasValue(404))
                .hasMessage("GET /servers/x at 2.1: HTTP 404 [req-1]");
        assertThat(sent).hasSize(1);
    }

    @Test
    void neverARequestThatStartsSomething() {
        statuses.addAll(List.of(500, 200));

        assertThatThrownBy(() -> new Retrying(nova, THREE).send(NovaRequest.post("/servers/x/action",
                new Microversion(2, 68), JsonNodeFactory.instance.objectNode())))
                .isInstanceOf(NovaException.class);
        assertThat(sent).hasSize(1);
    }

    @Test
    void givesUpWithTheLastErrorOnceTheAttemptsAreSpent() {
        statuses.addAll(List.of(500, 502, 503, 200));

        assertThatThrownBy(() -> new Retrying(nova, THREE).send(NovaRequest.delete("/servers/x/migrations/1",
                new Microversion(2, 65))))
                .hasMessage("DELETE /servers/x/migrations/1 at 2.65: HTTP 503 [req-3]");
        assertThat(sent).hasSize(3);
    }

    @Test
    void backoffDoublesUpToItsMaximum() {
        Backoff backoff = new Backoff(Duration.ofMillis(500), Duration.ofSeconds(2));

        assertThat(List.of(backoff.delay(1), backoff.delay(2), backoff.delay(3), backoff.delay(9)))
                .containsExactly(Duration.ofMillis(500), Duration.ofSeconds(1), Duration.ofSeconds(2), Duration.ofSeconds(2));
        assertThatThrownBy(() -> new Backoff(Duration.ZERO, Duration.ofSeconds(1)))
                .hasMessage("backoff first wait PT0S is not positive");
        assertThatThrownBy(() -> new RetryPolicy(0, backoff)).hasMessage("retry attempts 0 is below 1");
    }

    @Test
    void aRequestIsWellFormedOrRefused() {
        assertThatThrownBy(() -> new NovaRequest("PATCH", "/servers", new Microversion(2, 1), Optional.empty(), true))
                .hasMessageStartingWith("HTTP method 'PATCH' is not one of ");
        assertThatThrownBy(() -> new NovaRequest("GET", "/servers", new Microversion(2, 1),
                Optional.of(JsonNodeFactory.instance.objectNode()), true))
                .hasMessage("GET /servers has a body");
        assertThat(NovaRequest.post("/servers/x/action", new Microversion(2, 68), JsonNodeFactory.instance.objectNode())
                .idempotent()).isFalse();
    }
}
