package io.understudy.scheduler.api;

import io.understudy.agent.api.ApiError;
import io.understudy.scheduler.detect.Detection;
import io.understudy.scheduler.detect.HostReport;
import io.understudy.scheduler.moves.ForcedDownHosts;
import io.understudy.scheduler.report.StatusReport;
import io.understudy.scheduler.round.LastRound;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Function;

/**
 * What this controller saw in its last round, with its detection now: {@code GET /v1/status}
 * (everything {@code understudy status} prints), {@code /v1/hosts[/HOST]} (values, rule verdicts,
 * detection state, return after a failover) and {@code /v1/vms[/VM]} (primary, secondaries and
 * their lag, the last decision and its reasons, why not each other host). 503 until the
 * controller has run a round that read Nova.
 */
@Path("v1")
@Produces(MediaType.APPLICATION_JSON)
public final class FleetResource {

    private final LastRound last;
    private final Detection detection;
    private final ForcedDownHosts forcedDown;
    private final String instance;

    FleetResource(LastRound last, Detection detection, ForcedDownHosts forcedDown, String instance) {
        this.last = last;
        this.detection = detection;
        this.forcedDown = forcedDown;
        this.instance = instance;
    }

    @GET
    @Path("status")
    public Response status() {
        return reported(Response::ok);
    }

    @GET
    @Path("hosts")
    public Response hosts() {
        return reported(r -> Response.ok(listing(r, "hosts", r.hosts())));
    }

    @GET
    @Path("hosts/{host}")
    public Response host(@PathParam("host") String host) {
        return reported(r -> r.host(host).map(h -> Response.ok(h))
                .orElseGet(() -> error(404, "host '" + JsonErrors.oneLine(host) + "': not among the "
                        + r.hosts().size() + " hosts of the last round")));
    }

    @GET
    @Path("vms")
    public Response vms() {
        return reported(r -> Response.ok(listing(r, "vms", r.vms())));
    }

    @GET
    @Path("vms/{vm}")
    public Response vm(@PathParam("vm") String id) {
        UUID vm;
        try {
            vm = UUID.fromString(id);
        } catch (IllegalArgumentException e) {
            return error(400, "vm: '" + JsonErrors.oneLine(id) + "' is not a server's UUID").build();
        }
        return reported(r -> r.vm(vm).map(v -> Response.ok(v))
                .orElseGet(() -> error(404, "vm " + vm + ": not a protected VM in the last round")));
    }

    /** The report now, given to ANSWER; 503 before this controller's first round that read Nova. */
    private Response reported(Function<StatusReport, Response.ResponseBuilder> answer) {
        Optional<LastRound.Seen> seen = last.seen();
        if (seen.isEmpty()) {
            return error(503, "controller " + instance + " has not run a round that read Nova yet")
                    .header("Retry-After", 5).build();
        }
        return answer.apply(report(seen.get(), instance, detection, forcedDown)).build();
    }

    /** SEEN as the controller INSTANCE reports it: with its DETECTION now and the hosts it brings back. */
    static StatusReport report(LastRound.Seen seen, String instance, Detection detection, ForcedDownHosts forcedDown) {
        Map<String, HostReport> detected = new LinkedHashMap<>();
        detection.report().forEach(h -> detected.put(h.host(), h));
        return StatusReport.of(seen, instance, new StatusReport.DetectionSource(Optional.of(instance), Optional.empty()),
                h -> Optional.ofNullable(detected.get(h)), forcedDown::get);
    }

    private static Map<String, Object> listing(StatusReport report, String name, List<?> items) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("at", report.at());
        body.put("instance", report.instance());
        body.put(name, items);
        return body;
    }

    private static Response.ResponseBuilder error(int status, String message) {
        return Response.status(status).type(MediaType.APPLICATION_JSON).entity(new ApiError(status, message));
    }
}
