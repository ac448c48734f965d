package io.understudy.scheduler.round;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.understudy.scheduler.evaluate.Breaches;
import io.understudy.scheduler.history.JsonLinesHistory;
import java.io.IOException;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/** A round's state as JSON text: breaches since when, and the last move of each VM. */
final class StateCodec {

    private static final ObjectMapper JSON = JsonLinesHistory.mapper();

    private StateCodec() {
    }

    static String encode(RoundState state) {
        ObjectNode node = JSON.createObjectNode();
        node.set("breaches", JSON.valueToTree(state.breaches().since()));
        node.set("lastMoves", JSON.valueToTree(state.lastMoves()));
        return node.toString();
    }

    /** Empty when there is no state or it cannot be read (then the caller resumes from history). */
    static Optional<RoundState> decode(String text) {
        if (text == null || text.isBlank()) {
            return Optional.empty();
        }
        try {
            JsonNode node = JSON.readTree(text);
            Map<String, Map<String, Instant>> breaches = new HashMap<>();
            node.path("breaches").fields().forEachRemaining(host -> {
                Map<String, Instant> rules = new HashMap<>();
                host.getValue().fields().forEachRemaining(r -> rules.put(r.getKey(), Instant.parse(r.getValue().asText())));
                breaches.put(host.getKey(), rules);
            });
            Map<UUID, Instant> lastMoves = new HashMap<>();
            node.path("lastMoves").fields().forEachRemaining(m ->
                    lastMoves.put(UUID.fromString(m.getKey()), Instant.parse(m.getValue().asText())));
            return Optional.of(new RoundState(new Breaches(breaches), lastMoves));
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }
}
