package io.understudy.nova.action;

import static java.util.Objects.requireNonNull;

import io.understudy.nova.client.NovaCalls;
import io.understudy.nova.client.NovaException;
import io.understudy.nova.client.NovaRequest;
import io.understudy.nova.client.NovaResponse;
import io.understudy.nova.client.RetryPolicy;
import io.understudy.nova.client.Retrying;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;

/**
 * What one run of an action sent to Nova: every request counted (each retry too), the request
 * ids of those that change something kept, and its steps logged under one subject that names
 * the server and hosts. One per run; a run's reads at once may count through it together.
 */
final class Trail implements NovaCalls {

    private final NovaCalls nova;
    private final NovaCalls retrying;
    private final Logger log;
    private final String subject;
    private final List<String> requestIds = Collections.synchronizedList(new ArrayList<>());
    private final AtomicInteger requests = new AtomicInteger();

    Trail(NovaCalls nova, RetryPolicy retry, Logger log, String subject) {
        this.nova = requireNonNull(nova, "nova is null");
        this.retrying = new Retrying(this, requireNonNull(retry, "retry is null"));
        this.log = requireNonNull(log, "log is null");
        this.subject = requireNonNull(subject, "subject is null");
    }

    /** Sends once, counted; what a request that starts an action goes through. */
    @Override
    public NovaResponse send(NovaRequest request) {
        requests.incrementAndGet();
        try {
            NovaResponse response = nova.send(request);
            if (!request.method().equals("GET")) {
                response.requestId().ifPresent(requestIds::add);
            }
            return response;
        } catch (NovaException e) {
            if (!request.method().equals("GET")) {
                e.requestId().ifPresent(requestIds::add);
            }
            throw e;
        }
    }

    /** The same requests, sent again after transient errors when they are idempotent. */
    NovaCalls retrying() {
        return retrying;
    }

    /** One log line: the subject (server, hosts), then what happened. */
    void step(String what) {
        log.info("{}: {}", subject, what);
    }

    int requests() {
        return requests.get();
    }

    /** Nova's ids of the requests that changed (or tried to change) something, in order. */
    List<String> requestIds() {
        synchronized (requestIds) {
            return List.copyOf(requestIds);
        }
    }

    static String idOf(Optional<String> requestId) {
        return requestId.map(id -> "[" + id + "]").orElse("[no request id]");
    }
}
