package io.understudy.agent.resources;

import io.understudy.agent.api.Hold;
import io.understudy.agent.api.Peer;
import io.understudy.agent.api.PrimaryStatus;
import io.understudy.agent.api.Protection;
import io.understudy.agent.api.Role;
import io.understudy.agent.config.AgentConfig;
import io.understudy.agent.rejoin.Preservation;
import io.understudy.agent.rejoin.Rejoiner;
import io.understudy.agent.replication.Protections;
import io.understudy.agent.replication.Replicator;
import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.PUT;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.io.IOException;
import java.util.List;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code /v1/vms}: the controller assigns this node's part in protecting each VM; the VMs this
 * node is primary for, with their replication state; a round on demand.
 */
@Path("/v1/vms")
@Produces(MediaType.APPLICATION_JSON)
public final class ProtectionResource {

    private static final Logger LOG = LoggerFactory.getLogger(ProtectionResource.class);

    private final Protections protections;
    private final Replicator replicator;
    private final Preservation preservation;
    private final Rejoiner rejoiner;
    private final boolean mutualTls;

    @Inject
    public ProtectionResource(AgentConfig config, Protections protections, Replicator replicator,
            Preservation preservation, Rejoiner rejoiner) {
        this.mutualTls = config.auth().mode() == AgentConfig.AuthMode.MTLS;
        this.protections = protections;
        this.replicator = replicator;
        this.preservation = preservation;
        this.rejoiner = rejoiner;
    }

    /** The VMs this node is primary for. */
    @GET
    public List<PrimaryStatus> primaries() throws IOException {
        return replicator.statuses();
    }

    @GET
    @Path("{vm}/protection")
    public Protection protection(@PathParam("vm") String id) {
        UUID vm = Ids.vm(id);
        return protections.get(vm).orElseThrow(() -> Ids.error(Response.Status.NOT_FOUND, vm + " is not protected here"));
    }

    /**
     * Runs a replication round now (this node must be the VM's primary); 409 when its protection
     * stopped, by this round or before, or while its rounds are held.
     */
    @POST
    @Path("{vm}/sync")
    public PrimaryStatus sync(@PathParam("vm") String id) throws IOException {
        return replicator.round(primaryHere(id));
    }

    /**
     * Holds the VM's rounds (this node must be its primary) before Nova live-migrates it; answers
     * once no backup of ours runs (a round under way has its backup aborted), with the VM's state.
     * 400 for a lease not between 0 and two hours.
     */
    @POST
    @Path("{vm}/hold")
    @Consumes(MediaType.APPLICATION_JSON)
    public PrimaryStatus hold(@PathParam("vm") String id, Hold hold) throws IOException {
        UUID vm = primaryHere(id);
        if (hold == null) {
            throw Ids.error(Response.Status.BAD_REQUEST, "a hold needs a body with lease and finalRound");
        }
        return replicator.hold(vm, hold);
    }

    /** Ends the VM's hold: its rounds go on. 404 when none is held. */
    @DELETE
    @Path("{vm}/hold")
    public Response release(@PathParam("vm") String id) {
        UUID vm = Ids.vm(id);
        if (!replicator.release(vm)) {
            throw Ids.error(Response.Status.NOT_FOUND, "the rounds of " + vm + " are not held here");
        }
        return Response.noContent().build();
    }

    private UUID primaryHere(String id) {
        UUID vm = Ids.vm(id);
        if (protections.get(vm).filter(p -> p.role() == Role.PRIMARY).isEmpty()) {
            throw Ids.error(Response.Status.CONFLICT, "this node is not the primary of " + vm);
        }
        return vm;
    }

    @PUT
    @Path("{vm}/protection")
    @Consumes(MediaType.APPLICATION_JSON)
    public Response protect(@PathParam("vm") String id, Protection p) throws IOException {
        UUID vm = Ids.vm(id);
        if (p == null) {
            throw Ids.error(Response.Status.BAD_REQUEST, "a protection needs a body with vm, role and peers");
        }
        if (!p.vm().equals(vm)) {
            throw Ids.error(Response.Status.BAD_REQUEST, "the body is for " + p.vm() + ", the path for " + vm);
        }
        if (p.role() == Role.PRIMARY && (p.interval() == null || p.interval().isNegative() || p.interval().isZero())) {
            throw Ids.error(Response.Status.BAD_REQUEST, "a primary needs a positive replication interval");
        }
        if (p.role() == Role.SECONDARY && p.peers().size() != 1) {
            throw Ids.error(Response.Status.BAD_REQUEST, "a secondary has exactly one peer: the primary");
        }
        if (mutualTls) {
            // Deltas and disk contents go to the peers: with mutual TLS, never in the clear.
            for (Peer peer : p.peers()) {
                if (!"https".equals(peer.url().getScheme())) {
                    throw Ids.error(Response.Status.BAD_REQUEST, "peer " + peer.host() + ": url '" + peer.url()
                            + "' is not https://, and this agent uses mutual TLS");
                }
            }
        }
        protections.put(p);
        replicator.assign(vm, p);
        if (p.role() == Role.PRIMARY) {
            // The controller protecting a VM whose protection stopped here wants it back.
            replicator.restartIfStopped(vm);
        }
        LOG.info("vm {}: this node is now {} (peers {}, interval {})", vm, p.role().name().toLowerCase(),
                p.peers().stream().map(peer -> peer.host()).toList(), p.interval());
        if (p.role() == Role.PRIMARY) {
            // Linked now, the disk outlives Nova's deletion after the VM is moved away from here.
            preservation.preserve(vm);
        }
        rejoiner.assign(vm, p);
        return Response.noContent().build();
    }

    @DELETE
    @Path("{vm}/protection")
    public Response unprotect(@PathParam("vm") String id) throws IOException {
        UUID vm = Ids.vm(id);
        if (!protections.remove(vm)) {
            throw Ids.error(Response.Status.NOT_FOUND, vm + " is not protected here");
        }
        replicator.assign(vm, null);
        rejoiner.assign(vm, null);
        preservation.drop(vm);
        LOG.info("vm {}: protection removed", vm);
        return Response.noContent().build();
    }
}
