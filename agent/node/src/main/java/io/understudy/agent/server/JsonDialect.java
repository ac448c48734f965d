package io.understudy.agent.server;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.understudy.agent.api.Json;
import jakarta.ws.rs.ext.ContextResolver;

/**
 * The wire's JSON dialect for Jersey, with one difference: a request body with a field the agent
 * does not know is refused (400 naming it), not silently half-understood. A named class because
 * Jersey cannot see the type a lambda resolves and ignores it.
 */
final class JsonDialect implements ContextResolver<ObjectMapper> {

    private final ObjectMapper json = Json.mapper().enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    @Override
    public ObjectMapper getContext(Class<?> type) {
        return json;
    }
}
