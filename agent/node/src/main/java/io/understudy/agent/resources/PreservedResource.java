package io.understudy.agent.resources;

import io.understudy.agent.api.Preserved;
import io.understudy.agent.rejoin.Preservation;
import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.util.List;
import java.util.UUID;

/**
 * {@code /v1/preserved}: the disks this node kept of VMs it was primary for, and how each one's
 * way back as a replica went: what the controller waits on before it counts the old host back.
 */
@Path("/v1/preserved")
@Produces(MediaType.APPLICATION_JSON)
public final class PreservedResource {

    private final Preservation preservation;

    @Inject
    public PreservedResource(Preservation preservation) {
        this.preservation = preservation;
    }

    @GET
    public List<Preserved> all() {
        return preservation.all();
    }

    @GET
    @Path("{vm}")
    public Preserved get(@PathParam("vm") String id) {
        UUID vm = Ids.vm(id);
        return preservation.get(vm).orElseThrow(() -> Ids.error(Response.Status.NOT_FOUND, "nothing of " + vm
                + " preserved here"));
    }
}
