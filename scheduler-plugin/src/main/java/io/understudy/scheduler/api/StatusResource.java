package io.understudy.scheduler.api;

import io.understudy.agent.api.ApiError;
import io.understudy.scheduler.detect.Detection;
import io.understudy.scheduler.history.HistoryStore;
import io.understudy.scheduler.history.RoundRecord;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Health, the shared history of rounds, and this controller's failure detection. */
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

    /** The newest LAST rounds (1 to 1000, default 20) in the shared history, newest first. */
    @GET
    @Path("rounds")
    public Response rounds(@QueryParam("last") String last) {
        int n;
        try {
            n = last == null ? 20 : Integer.parseInt(last);
        } catch (NumberFormatException e) {
            n = -1;
        }
        if (n < 1 || n > 1000) {
            return Response.status(400).entity(new ApiError(400, "last: '" + JsonErrors.oneLine(String.valueOf(last))
                    + "' is not a number of rounds from 1 to 1000")).build();
        }
        List<RoundRecord> rounds = new ArrayList<>(history.last(n));
        Collections.reverse(rounds);
        return Response.ok(Map.of("rounds", rounds)).build();
    }

    @GET
    @Path("detection")
    public StatusServer.DetectionReport detection() {
        return new StatusServer.DetectionReport(instance, detection.report());
    }
}
