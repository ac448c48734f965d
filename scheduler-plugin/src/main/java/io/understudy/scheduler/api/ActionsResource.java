package io.understudy.scheduler.api;

import io.understudy.agent.api.ApiError;
import io.understudy.nova.client.NovaException;
import io.understudy.nova.keystone.KeystoneException;
import io.understudy.scheduler.detect.Detection;
import io.understudy.scheduler.moves.BringBack;
import io.understudy.scheduler.moves.FenceConfirmations;
import io.understudy.scheduler.moves.ForcedDownHosts;
import io.understudy.scheduler.moves.ManualFences;
import io.understudy.scheduler.moves.ManualMoves;
import io.understudy.scheduler.moves.MovePlan;
import io.understudy.scheduler.moves.MoveRefusedException;
import io.understudy.scheduler.moves.MoveState;
import io.understudy.scheduler.moves.NotFoundException;
import io.understudy.scheduler.round.LastRound;
import io.understudy.scheduler.round.ProtectionChoices;
import io.understudy.scheduler.round.RoundResult;
import io.understudy.scheduler.stats.NovaReadException;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An operator's actions, as the {@code understudy} commands take them: migrate or fail over a VM
 * now ({@code POST /v1/vms/VM/migrate}, {@code /failover}: checked at once, then 202 and the move
 * runs in the controller, shown in {@code /v1/moves} and its log), confirm or withdraw a host's
 * fence ({@code POST}/{@code DELETE /v1/hosts/HOST/fence}) and bring a host back ({@code POST
 * /v1/hosts/HOST/bring-back}), protect or unprotect a VM whatever the rules say ({@code POST
 * /v1/vms/VM/protect}, {@code /unprotect}; {@code GET}/{@code DELETE /v1/vms/VM/protection} reads or
 * forgets that choice); and what it would decide now ({@code GET /v1/plan}). Each action is
 * logged with its caller. Bad input is 400 naming the field,
 * an unknown VM or host 404, a refusal 409 with the reason, Nova or Keystone unreadable 503.
 */
@Path("v1")
@Produces(MediaType.APPLICATION_JSON)
public final class ActionsResource {

    private static final Logger LOG = LoggerFactory.getLogger(ActionsResource.class);

    /**
     * The controller's objects the actions use.
     *
     * @param plan a round now that acts on nothing, from the state the last round left
     */
    public record Actions(ManualMoves moves, ManualFences fences, FenceConfirmations confirmations,
            BringBack bringBack, ProtectionChoices protection, Supplier<Duration> interval,
            Supplier<RoundResult> plan) {}

    /** {@code {"to": HOST}}: where to move the VM (a failover without one picks the freshest holder). */
    public record MoveRequest(String to) {}

    /** {@code {"note": TEXT}}: what was done to the host, or why the VM is protected or not, for the record. */
    public record NoteRequest(String note) {}

    private final Actions actions;
    private final ExecutorService moving;
    private final Detection detection;
    private final ForcedDownHosts forcedDown;
    private final String instance;

    ActionsResource(Actions actions, ExecutorService moving, Detection detection, ForcedDownHosts forcedDown,
            String instance) {
        this.actions = actions;
        this.moving = moving;
        this.detection = detection;
        this.forcedDown = forcedDown;
        this.instance = instance;
    }

    /**
     * What the controller would decide now ({@code understudy plan}): a round that reads Nova and
     * the agents and acts on nothing, every VM decided on; one at a time, each a full read of Nova.
     */
    @GET
    @Path("plan")
    public synchronized Response plan() {
        return answer(() -> {
            RoundResult round = actions.plan().get();
            if (!round.ok()) {
                return error(503, round.failure().orElse("the round failed"));
            }
            return Response.ok(FleetResource.report(new LastRound.Seen(round, List.of()), instance, detection,
                    forcedDown));
        });
    }

    @POST
    @Path("vms/{vm}/migrate")
    @Consumes(MediaType.APPLICATION_JSON)
    public Response migrate(@PathParam("vm") String id, MoveRequest body, @Context ContainerRequestContext request) {
        return answer(() -> {
            UUID vm = vm(id);
            String to = Optional.ofNullable(body).map(MoveRequest::to).filter(t -> !t.isBlank())
                    .orElseThrow(() -> new IllegalArgumentException("to: missing: the host to live-migrate it to"));
            return begin(actions.moves().planMigration(vm, to, actions.interval().get(), reason(request)), request);
        });
    }

    @POST
    @Path("vms/{vm}/failover")
    @Consumes(MediaType.APPLICATION_JSON)
    public Response failover(@PathParam("vm") String id, MoveRequest body, @Context ContainerRequestContext request) {
        return answer(() -> {
            UUID vm = vm(id);
            Optional<String> to = Optional.ofNullable(body).map(MoveRequest::to).filter(t -> !t.isBlank());
            return begin(actions.moves().planFailover(vm, to, actions.interval().get(), reason(request)), request);
        });
    }

    @POST
    @Path("hosts/{host}/fence")
    @Consumes(MediaType.APPLICATION_JSON)
    public Response confirmFence(@PathParam("host") String host, NoteRequest body,
            @Context ContainerRequestContext request) {
        return answer(() -> {
            String note = note(body);
            FenceConfirmations.Confirmation c = actions.fences().confirm(host, caller(request), note);
            Map<String, Object> answer = new LinkedHashMap<>();
            answer.put("host", c.host());
            answer.put("by", c.by());
            answer.put("at", c.at());
            answer.put("note", c.note());
            answer.put("validUntil", c.at().plus(actions.confirmations().validFor()));
            return Response.status(201).entity(answer);
        });
    }

    @DELETE
    @Path("hosts/{host}/fence")
    public Response withdrawFence(@PathParam("host") String host, @Context ContainerRequestContext request) {
        return answer(() -> {
            if (!actions.confirmations().withdraw(host)) {
                return error(404, "host " + JsonErrors.oneLine(host) + ": no fence confirmation ("
                        + actions.confirmations().where(host) + ")");
            }
            LOG.warn("{}: fence confirmation withdrawn by {}", host, caller(request));
            return Response.ok(Map.of("host", host, "withdrawn", true));
        });
    }

    @POST
    @Path("hosts/{host}/bring-back")
    public Response bringBack(@PathParam("host") String host, @Context ContainerRequestContext request) {
        return answer(() -> {
            ForcedDownHosts.Host h = actions.bringBack().host(host);
            LOG.info("{} (one pass asked by {})", BringBack.line(h), caller(request));
            Map<String, Object> answer = new LinkedHashMap<>();
            answer.put("host", h.host());
            answer.put("state", h.state());
            answer.put("note", h.note());
            answer.put("back", h.state() == ForcedDownHosts.State.BACK);
            return Response.ok(answer);
        });
    }

    @POST
    @Path("vms/{vm}/protect")
    @Consumes(MediaType.APPLICATION_JSON)
    public Response protect(@PathParam("vm") String id, NoteRequest body, @Context ContainerRequestContext request) {
        return answer(() -> choose(id, true, body, request));
    }

    @POST
    @Path("vms/{vm}/unprotect")
    @Consumes(MediaType.APPLICATION_JSON)
    public Response unprotect(@PathParam("vm") String id, NoteRequest body, @Context ContainerRequestContext request) {
        return answer(() -> choose(id, false, body, request));
    }

    /** The operator's choice for the VM: whether it is protected whatever the rules say. */
    @GET
    @Path("vms/{vm}/protection")
    public Response protection(@PathParam("vm") String id) {
        return answer(() -> {
            UUID vm = vm(id);
            return actions.protection().get(vm).map(Response::ok).orElseGet(() -> error(404, "vm " + vm
                    + ": no operator's choice; the rules decide whether it is protected"));
        });
    }

    /** Forgets the operator's choice for the VM: the rules decide again. */
    @DELETE
    @Path("vms/{vm}/protection")
    public Response forgetProtection(@PathParam("vm") String id, @Context ContainerRequestContext request) {
        return answer(() -> {
            UUID vm = vm(id);
            if (!actions.protection().forget(vm)) {
                return error(404, "vm " + vm + ": no operator's choice (" + actions.protection().where(vm) + ")");
            }
            LOG.info("vm {}: the operator's protection choice forgotten by {}; the rules decide again", vm,
                    caller(request));
            return Response.ok(Map.of("vm", vm, "forgotten", true));
        });
    }

    /**
     * Records the operator's choice that the VM named ID is protected (PROTECT) or not, once Nova
     * says it knows the VM: placement assigns its replicas, or lets them go after
     * {@code placement.releaseDeletedAfter}, from its next round.
     */
    private Response.ResponseBuilder choose(String id, boolean protect, NoteRequest body,
            ContainerRequestContext request) {
        UUID vm = vm(id);
        String name = actions.moves().server(vm).name();
        ProtectionChoices.Choice c = actions.protection().choose(vm, protect, caller(request), note(body));
        LOG.info("vm {} ({}): {} by {} through the API{}; placement acts on it from its next round", vm, name,
                protect ? "protected" : "unprotected", c.by(), c.note().isEmpty() ? "" : " (" + c.note() + ")");
        return Response.ok(c);
    }

    private static String note(NoteRequest body) {
        return Optional.ofNullable(body).map(NoteRequest::note).map(JsonErrors::oneLine).orElse("");
    }

    /** Runs PLAN in the controller; the request is answered once it is checked and handed over. */
    private Response.ResponseBuilder begin(MovePlan plan, ContainerRequestContext request) {
        LOG.info("{}: asked by {} through the API; begins now", plan.describe(), caller(request));
        moving.execute(() -> {
            try {
                MoveState move = actions.moves().start(plan);
                LOG.info("{}: asked through the API: {}", plan.describe(), move.status());
            } catch (MoveRefusedException e) {
                LOG.warn("{}: asked through the API, refused as it began: {}", plan.describe(), e.getMessage());
            } catch (RuntimeException e) {
                LOG.error("{}: asked through the API, failed: {}", plan.describe(), e.toString(), e);
            }
        });
        Map<String, Object> answer = new LinkedHashMap<>();
        answer.put("vm", plan.vm());
        answer.put("move", plan.describe());
        answer.put("kind", plan.kind());
        answer.put("source", plan.source());
        answer.put("target", plan.target());
        answer.put("follow", "/v1/moves");
        return Response.status(202).entity(answer);
    }

    /** What ACTION answers, or the status its failure maps to. */
    private static Response answer(Supplier<Response.ResponseBuilder> action) {
        try {
            return action.get().type(MediaType.APPLICATION_JSON).build();
        } catch (NotFoundException e) {
            return error(404, e.getMessage()).build();
        } catch (IllegalArgumentException e) {
            return error(400, e.getMessage()).build();
        } catch (MoveRefusedException e) {
            return error(409, e.getMessage()).build();
        } catch (NovaException | NovaReadException | KeystoneException | UncheckedIOException e) {
            return error(503, e.getMessage()).build();
        } catch (IllegalStateException e) {
            // How the bridge says Nova's answer cannot be used (e.g. two services where one is expected).
            return error(503, "Nova's answer: " + e.getMessage()).build();
        }
    }

    private static UUID vm(String id) {
        try {
            return UUID.fromString(id);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("vm: '" + JsonErrors.oneLine(id) + "' is not a server's UUID");
        }
    }

    private static String caller(ContainerRequestContext request) {
        return String.valueOf(request.getProperty(Authentication.CALLER));
    }

    private static String reason(ContainerRequestContext request) {
        return "by hand, asked through the API by " + caller(request);
    }

    private static Response.ResponseBuilder error(int status, String message) {
        return Response.status(status).type(MediaType.APPLICATION_JSON)
                .entity(new ApiError(status, JsonErrors.oneLine(message)));
    }
}
