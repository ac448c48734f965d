package io.understudy.scheduler.api;

import io.understudy.agent.api.ApiError;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.ext.ExceptionMapper;
import java.io.IOException;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Every failure inside Jersey becomes its status and an {@link ApiError} with one line; never a stack trace. */
final class ErrorMapper implements ExceptionMapper<Throwable> {

    private static final Logger LOG = LoggerFactory.getLogger(ErrorMapper.class);

    @Override
    public Response toResponse(Throwable e) {
        if (e instanceof WebApplicationException w) {
            Response r = w.getResponse();
            return r.hasEntity() ? r : json(r.getStatus(), w.getMessage());
        }
        if (e instanceof IOException) {
            // The client's side of the connection: a body that stopped arriving, or a broken one.
            LOG.warn("status API request not read: {}", JsonErrors.oneLine(e.toString()));
            return json(e.getCause() instanceof TimeoutException ? 408 : 400, "the request could not be read: "
                    + (e.getCause() instanceof TimeoutException ? "its body stopped arriving" : e.getMessage())
                    + "; nothing was changed");
        }
        LOG.error("status API request failed: {}", JsonErrors.oneLine(e.toString()), e);
        return json(500, "internal error (the controller's log has it)");
    }

    private static Response json(int status, String message) {
        return Response.status(status).type(MediaType.APPLICATION_JSON)
                .entity(new ApiError(status, JsonErrors.oneLine(message))).build();
    }
}
