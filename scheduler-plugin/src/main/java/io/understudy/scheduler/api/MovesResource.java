package io.understudy.scheduler.api;

import io.understudy.agent.api.ApiError;
import io.understudy.scheduler.moves.Journal;
import io.understudy.scheduler.moves.MoveState;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The moves open in the journal every controller shares ({@code GET /v1/moves}: in flight, or
 * stopped for an operator, each with its steps and their durations), and an operator's closing of
 * one ({@code POST /v1/moves/VM/close}), as {@code understudy moves} and {@code moves close} do.
 */
@Path("v1/moves")
@Produces(MediaType.APPLICATION_JSON)
public final class MovesResource {

    private static final Logger LOG = LoggerFactory.getLogger(MovesResource.class);

    private final Journal journal;

    MovesResource(Journal journal) {
        this.journal = journal;
    }

    @GET
    public Map<String, List<MoveState>> open() {
        return Map.of("moves", journal.open());
    }

    /**
     * Forgets VM's open move, kept as history, once an operator has put the VM right: the next
     * rounds decide on it again. A move the controller still follows is refused (409) unless
     * {@code inFlight=true} (a move journaled by an older version).
     */
    @POST
    @Path("{vm}/close")
    public Response close(@PathParam("vm") String id, @QueryParam("inFlight") boolean inFlight,
            @Context ContainerRequestContext request) {
        UUID vm;
        try {
            vm = UUID.fromString(id);
        } catch (IllegalArgumentException e) {
            return error(400, "vm: '" + JsonErrors.oneLine(id) + "' is not a server's UUID");
        }
        Optional<MoveState> open = journal.open(vm);
        if (open.isEmpty()) {
            return error(404, "vm " + vm + ": no open move");
        }
        if (open.get().status() == MoveState.Status.IN_FLIGHT && !inFlight) {
            return error(409, "vm " + vm + ": " + open.get().holdReason()
                    + "; the controller follows it (inFlight=true to close it anyway)");
        }
        journal.close(vm);
        LOG.info("vm {}: {} ({}) closed by {}; the next rounds decide on it again", vm, open.get().plan().describe(),
                open.get().status(), request.getProperty(Authentication.CALLER));
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("vm", vm);
        body.put("closed", open.get().plan().describe());
        body.put("status", open.get().status());
        return Response.ok(body).build();
    }

    private static Response error(int status, String message) {
        return Response.status(status).type(MediaType.APPLICATION_JSON).entity(new ApiError(status, message)).build();
    }
}
