package io.understudy.scheduler.moves;

import static java.util.Objects.requireNonNull;

import io.understudy.scheduler.metrics.ControllerMetrics;
import java.util.UUID;

/** A fencer whose every fence is counted, fenced or not, under the name of its method ("redfish", "agent", ...). */
public final class CountedFencer implements Fencer {

    private final String method;
    private final Fencer fencer;
    private final ControllerMetrics metrics;

    public CountedFencer(String method, Fencer fencer, ControllerMetrics metrics) {
        this.method = requireNonNull(method, "method is null");
        this.fencer = requireNonNull(fencer, "fencer is null");
        this.metrics = requireNonNull(metrics, "metrics is null");
    }

    @Override
    public Fence fence(String host, UUID vm) {
        Fence fence = fencer.fence(host, vm);
        metrics.fence(method, fence.proof().isPresent());
        return fence;
    }
}
