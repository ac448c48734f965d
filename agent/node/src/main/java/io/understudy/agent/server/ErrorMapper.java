package io.understudy.agent.server;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.exc.StreamReadException;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.exc.ValueInstantiationException;
import io.understudy.agent.api.ApiError;
import io.understudy.agent.delta.BadDeltaException;
import io.understudy.agent.libvirt.LibvirtUnreachableException;
import io.understudy.agent.qcow2.BadImageException;
import io.understudy.agent.replica.VersionConflictException;
import io.understudy.agent.replication.ProtectionStoppedException;
import io.understudy.agent.replication.RoundsHeldException;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.ext.ExceptionMapper;
import java.nio.file.FileAlreadyExistsException;
import java.util.Arrays;
import java.util.Collection;
import java.util.Map;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Every failure becomes a status and an {@link ApiError} with one line; nothing leaks a stack trace.
 * A request the agent refuses (a 4xx other than 404 and 409) is logged in one line; only a failure
 * of the agent's own (500) is logged with its stack trace.
 */
final class ErrorMapper implements ExceptionMapper<Throwable> {

    private static final Logger LOG = LoggerFactory.getLogger(ErrorMapper.class);

    @Override
    public Response toResponse(Throwable e) {
        // The JSON body limit trips inside Jackson, which wraps it with the field it was reading.
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof WebApplicationException w) {
                return refused(w);
            }
        }
        // What a request body can do wrong; any other Jackson failure (writing an answer) is the agent's.
        if (e instanceof StreamReadException || e instanceof MismatchedInputException
                || e instanceof ValueInstantiationException) {
            String message = oneLine(describe((JsonProcessingException) e));
            LOG.warn("request refused (400): {}", message);
            return json(400, message);
        }
        int status;
        if (e instanceof VersionConflictException || e instanceof FileAlreadyExistsException
                || e instanceof ProtectionStoppedException || e instanceof RoundsHeldException) {
            status = 409;
        } else if (e instanceof BadDeltaException || e instanceof BadImageException) {
            status = 400;
        } else if (e instanceof LibvirtUnreachableException) {
            status = 503;
        } else if (e instanceof java.io.IOException && String.valueOf(e.getMessage()).contains("No space left")) {
            status = 507;
        } else {
            status = 500;
        }
        String message = oneLine(e.getMessage());
        if (status == 500) {
            LOG.error("request failed: {}", message, e);
        } else if (!(e instanceof ProtectionStoppedException)) {
            // A stopped protection was said once, in the operator's line; asking again is no news.
            LOG.warn("request refused ({}): {}", status, message);
        }
        return json(status, message);
    }

    /** Jersey maps only a WebApplicationException without an entity: the agent's own refusals are such. */
    private static Response refused(WebApplicationException w) {
        int status = w.getResponse().getStatus();
        String message = oneLine(w.getMessage());
        // 404 and 409 answer questions about state (is it here, which version); the rest are refusals.
        if (status >= 400 && status < 500 && status != 404 && status != 409) {
            LOG.warn("request refused ({}): {}", status, message);
        }
        return json(status, message);
    }

    /** What was wrong with a JSON body, naming the field: {@code body field 'peers[0].url': ...}. */
    private static String describe(JsonProcessingException e) {
        if (!(e instanceof JsonMappingException m)) {
            JsonLocation at = e.getLocation();
            return "body is not JSON" + (at == null ? "" : " (line " + at.getLineNr() + ", column " + at.getColumnNr()
                    + ")") + ": " + oneLine(e.getOriginalMessage());
        }
        String field = m.getPath().stream()
                .map(r -> r.getFieldName() != null ? "." + r.getFieldName() : "[" + r.getIndex() + "]")
                .collect(Collectors.joining()).replaceFirst("^\\.", "");
        String where = field.isEmpty() ? "body" : "body field '" + field + "'";
        if (m instanceof UnrecognizedPropertyException u) {
            return where + " is not known here (known: " + u.getKnownPropertyIds().stream().map(String::valueOf)
                    .sorted().collect(Collectors.joining(", ")) + ")";
        }
        if (m instanceof ValueInstantiationException && m.getCause() != null) {
            return where + ": " + oneLine(m.getCause().getMessage());
        }
        if (m instanceof InvalidFormatException f) {
            Class<?> type = f.getTargetType();
            return where + ": '" + f.getValue() + "' is not a " + type.getSimpleName()
                    + (type.isEnum() ? " (one of " + Arrays.toString(type.getEnumConstants()) + ")" : "");
        }
        if (m instanceof MismatchedInputException i && i.getTargetType() != null) {
            Class<?> type = i.getTargetType();
            return where + " is not " + (Collection.class.isAssignableFrom(type) ? "a list"
                    : Map.class.isAssignableFrom(type) ? "an object" : "a " + type.getSimpleName());
        }
        return where + ": " + oneLine(m.getOriginalMessage());
    }

    /** One line, and a short one: a request's values are echoed, and a request can be 64 KiB. */
    private static String oneLine(String message) {
        String line = String.valueOf(message).replaceAll("\\s*\\R\\s*", " ");
        return line.length() > 400 ? line.substring(0, 400) + "…" : line;
    }

    private static Response json(int status, String message) {
        return Response.status(status).type(MediaType.APPLICATION_JSON).entity(new ApiError(status, message)).build();
    }
}
