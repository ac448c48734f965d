package io.understudy.nova.state;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * One line of a server's action log, as Horizon shows it.
 *
 * @param action Nova's name: "create", "live-migration", "evacuate", ...
 * @param message "Error" when the action failed, else empty
 * @param events its steps; only {@code GET /servers/{id}/os-instance-actions/{request_id}} lists them
 */
public record InstanceAction(String action, String requestId, Instant startTime, Optional<String> message,
        List<Event> events) {

    public InstanceAction {
        requireNonNull(action, "action is null");
        requireNonNull(requestId, "requestId is null");
        requireNonNull(startTime, "startTime is null");
        requireNonNull(message, "message is null");
        events = List.copyOf(requireNonNull(events, "events is null"));
    }

    /**
     * One step of an action.
     *
     * @param event Nova's name, e.g. "conductor_live_migrate_instance", "compute_rebuild_instance"
     * @param result "Success" or "Error", empty while it runs
     * @param details why it failed, as Nova tells users (2.84 and later)
     */
    public record Event(String event, Optional<String> result, Optional<String> details) {
        public Event {
            requireNonNull(event, "event is null");
            requireNonNull(result, "result is null");
            requireNonNull(details, "details is null");
        }

        public boolean failed() {
            return result.equals(Optional.of("Error"));
        }
    }

    /** Reads one entry of {@code GET /servers/{id}/os-instance-actions}, or the one action of a show. */
    public static InstanceAction fromJson(JsonNode action) {
        List<Event> events = new ArrayList<>();
        action.path("events").forEach(event -> events.add(new Event(
                NovaJson.text(event, "event"),
                NovaJson.optionalText(event, "result"),
                NovaJson.optionalText(event, "details"))));
        return new InstanceAction(
                NovaJson.text(action, "action"),
                NovaJson.text(action, "request_id"),
                NovaJson.instant(action, "start_time"),
                NovaJson.optionalText(action, "message"),
                events);
    }

    /** Why it failed, from its failed events ("event: details"), or empty when none says. */
    public Optional<String> failure() {
        return events.stream().filter(Event::failed)
                .map(event -> event.event() + event.details().map(details -> ": " + details).orElse(""))
                .reduce((a, b) -> a + "; " + b);
    }
}
