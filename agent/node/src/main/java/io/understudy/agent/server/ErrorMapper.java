package io.understudy.agent.server;

import io.understudy.agent.api.ApiError;
import io.understudy.agent.delta.BadDeltaException;
import io.understudy.agent.libvirt.LibvirtUnreachableException;
import io.understudy.agent.qcow2.BadImageException;
import io.understudy.agent.replica.VersionConflictException;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.ext.ExceptionMapper;
import java.nio.file.FileAlreadyExistsException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Every failure becomes a status and an {@link ApiError} with one line; nothing leaks a stack trace. */
final class ErrorMapper implements ExceptionMapper<Throwable> {

    private static final Logger LOG = LoggerFactory.getLogger(ErrorMapper.class);

    @Override
    public Response toResponse(Throwable e) {
        if (e instanceof WebApplicationException w) {
            Response r = w.getResponse();
            if (r.hasEntity()) {
                return r;
            }
            return json(r.getStatus(), w.getMessage());
        }
        int status;
        if (e instanceof VersionConflictException || e instanceof FileAlreadyExistsException) {
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
        String message = String.valueOf(e.getMessage()).replaceAll("\\s*\\R\\s*", " ");
        if (status == 500) {
            LOG.error("request failed: {}", message, e);
        } else {
            LOG.warn("request refused ({}): {}", status, message);
        }
        return json(status, message);
    }

    private static Response json(int status, String message) {
        return Response.status(status).type(MediaType.APPLICATION_JSON).entity(new ApiError(status, message)).build();
    }
}
