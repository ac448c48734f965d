package io.understudy.scheduler.api;

import io.understudy.agent.api.ApiError;
import io.understudy.scheduler.detect.Detection;
import io.understudy.scheduler.history.HistoryStore;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.util.LinkedHashMap;
import java.util.Map;

/** The status API's three read-only answers. */
@Path("v1")
@Produces(MediaType.APPLICATION_JSON)
public final class StatusResource {

    private final HistoryStore history;
    private final Detection detection;
    private final String instance;
    private final boolean dryRun;

    StatusResource(HistoryStore history, Detection detection, String instance, boolean dryRun) {
        this.history = history;
        this.detection = detection;
        this.instance = instance;
        this.dryRun = dryRun;
    }

    /** Open to anyone (monitoring): that it serves, as which instance, and whether it acts; nothing else. */
    @GET
    @Path("health")
    public Map<String, Object> health() {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("status", "ok");
        body.put("instance", instance);
        body.put("dryRun", dryRun);
        return body;
    }

    @GET
    @Path("rounds/latest")
    public Response latestRound() {
        return history.latest().map(r -> Response.ok(r).build())
                .orElseGet(() -> Response.status(404).entity(new ApiError(404, "no round recorded yet")).build());
    }

    @GET
    @Path("detection")
    public StatusServer.DetectionReport detection() {
        return new StatusServer.DetectionReport(instance, detection.report());
    }
}
