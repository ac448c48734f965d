package io.understudy.nova.client;

import static java.util.Objects.requireNonNull;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends idempotent requests again after a 5xx, an unreadable answer or no answer, as its
 * {@link RetryPolicy} allows. A request that is not idempotent (a POST that starts an action)
 * goes out once: only its sender can tell, by reading Nova, whether a lost answer hid a success.
 */
public final class Retrying implements NovaCalls {

    private static final Logger LOG = LoggerFactory.getLogger(Retrying.class);

    private final NovaCalls nova;
    private final RetryPolicy policy;

    public Retrying(NovaCalls nova, RetryPolicy policy) {
        this.nova = requireNonNull(nova, "nova is null");
        this.policy = requireNonNull(policy, "policy is null");
    }

    /**
     * @throws NovaException the last error, once retries are spent or the error is final;
     *     interrupted while waiting, the last error with the thread's interrupt flag set
     */
    @Override
    public NovaResponse send(NovaRequest request) {
        for (int attempt = 1; ; attempt++) {
            try {
                return nova.send(request);
            } catch (NovaException e) {
                if (!request.idempotent() || !e.retryable() || attempt == policy.attempts()) {
                    throw e;
                }
                long delay = policy.backoff().delay(attempt).toMillis();
                LOG.warn("{} (attempt {} of {}), again in {} ms", e.getMessage(), attempt, policy.attempts(), delay);
                try {
                    Thread.sleep(delay);
                } catch (InterruptedException interrupted) {
                    Thread.currentThread().interrupt();
                    throw e;
                }
            }
        }
    }
}
