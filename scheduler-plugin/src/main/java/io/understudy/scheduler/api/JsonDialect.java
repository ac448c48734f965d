package io.understudy.scheduler.api;

import com.fasterxml.jackson.databind.ObjectMapper;
import jakarta.ws.rs.ext.ContextResolver;

/**
 * The controller's JSON for Jersey: the history's dialect, ISO-8601 instants as
 * {@code history.jsonl} has them. A named class because Jersey cannot see the type a lambda
 * resolves and ignores it, and would answer in its own default (instants as epoch numbers).
 */
final class JsonDialect implements ContextResolver<ObjectMapper> {

    private final ObjectMapper json;

    JsonDialect(ObjectMapper json) {
        this.json = json;
    }

    @Override
    public ObjectMapper getContext(Class<?> type) {
        return json;
    }
}
