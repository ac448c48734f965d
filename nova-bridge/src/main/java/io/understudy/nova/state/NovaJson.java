package io.understudy.nova.state;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.Optional;
import java.util.UUID;

/** Reading fields of Nova's JSON, with errors that name the field and the value. */
final class NovaJson {

    private NovaJson() {
    }

    static JsonNode member(JsonNode node, String field) {
        JsonNode value = node.get(field);
        if (value == null || value.isNull()) {
            throw new IllegalStateException("Nova's answer lacks '" + field + "': " + node);
        }
        return value;
    }

    static String text(JsonNode node, String field) {
        return member(node, field).asText();
    }

    static Optional<String> optionalText(JsonNode node, String field) {
        JsonNode value = node.get(field);
        return value == null || value.isNull() ? Optional.empty() : Optional.of(value.asText());
    }

    static UUID uuid(JsonNode node, String field) {
        String text = text(node, field);
        try {
            return UUID.fromString(text);
        } catch (IllegalArgumentException e) {
            throw new IllegalStateException("Nova's '" + field + "' is not a UUID: '" + text + "'", e);
        }
    }

    static Optional<Instant> optionalInstant(JsonNode node, String field) {
        return optionalText(node, field).map(text -> instant(field, text));
    }

    static Instant instant(JsonNode node, String field) {
        return instant(field, text(node, field));
    }

    /** Nova writes UTC times mostly without a zone ("2026-11-29T05:31:30.000000"), sometimes with one. */
    private static Instant instant(String field, String text) {
        try {
            return text.endsWith("Z") || text.matches(".*[+-]\\d\\d:\\d\\d$")
                    ? OffsetDateTime.parse(text).toInstant()
                    : LocalDateTime.parse(text).toInstant(ZoneOffset.UTC);
        } catch (DateTimeParseException e) {
            throw new IllegalStateException("Nova's '" + field + "' is not a time: '" + text + "'", e);
        }
    }
}
