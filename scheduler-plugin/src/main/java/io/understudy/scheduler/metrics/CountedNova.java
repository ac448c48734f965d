package io.understudy.scheduler.metrics;

import static java.util.Objects.requireNonNull;

import io.understudy.nova.client.NovaCalls;
import io.understudy.nova.client.NovaException;
import io.understudy.nova.client.NovaRequest;
import io.understudy.nova.client.NovaResponse;

/** Nova's client with each failed request counted: the layer every read and action of the controller goes through. */
public final class CountedNova implements NovaCalls {

    private final NovaCalls nova;
    private final ControllerMetrics metrics;

    public CountedNova(NovaCalls nova, ControllerMetrics metrics) {
        this.nova = requireNonNull(nova, "nova is null");
        this.metrics = requireNonNull(metrics, "metrics is null");
    }

    @Override
    public NovaResponse send(NovaRequest request) {
        try {
            return nova.send(request);
        } catch (NovaException e) {
            metrics.novaError(e);
            throw e;
        }
    }
}
