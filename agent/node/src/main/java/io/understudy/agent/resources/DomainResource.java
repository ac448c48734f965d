package io.understudy.agent.resources;

import io.understudy.agent.api.FenceResult;
import io.understudy.agent.config.AgentConfig;
import io.understudy.agent.libvirt.Hypervisor;
import jakarta.inject.Inject;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import java.io.IOException;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code /v1/domains}: the agent fencer (DESIGN.md, "Failure"): on a sick but alive node, the
 * controller has the agent kill a VM's domain before the VM is booted elsewhere. The answer is
 * libvirt's state read back, never an assumption; when libvirt cannot confirm a stop the request
 * fails, and the controller must not evacuate.
 */
@Path("/v1/domains")
@Produces(MediaType.APPLICATION_JSON)
public final class DomainResource {

    private static final Logger LOG = LoggerFactory.getLogger(DomainResource.class);

    private final Hypervisor hypervisor;
    private final AgentConfig config;

    @Inject
    public DomainResource(Hypervisor hypervisor, AgentConfig config) {
        this.hypervisor = hypervisor;
        this.config = config;
    }

    @POST
    @Path("{vm}/destroy")
    public FenceResult destroy(@PathParam("vm") String id) throws IOException {
        UUID vm = Ids.vm(id);
        Hypervisor.Destroyed d = hypervisor.destroy(vm);
        String state = d.after().map(Enum::name).orElse("ABSENT");
        LOG.info("vm {}: fenced on {} ({}; now {})", vm, config.host(), d.wasRunning() ? "was running, destroyed"
                : "was not running", state);
        return new FenceResult(vm, config.host(), d.wasRunning(), true, state);
    }
}
