package io.understudy.nova.client;

import java.util.Optional;
import java.util.OptionalInt;

/**
 * A Nova request that did not succeed: Nova answered with an error status or with a body that
 * is not JSON, or no answer came (connection refused, timeout), in which case {@link #status()}
 * is empty. The message names the request, the status and Nova's request id.
 */
public final class NovaException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final OptionalInt status;
    private final transient Optional<String> requestId;

    NovaException(String message, OptionalInt status, Optional<String> requestId, Throwable cause) {
        super(message + requestId.map(id -> " [" + id + "]").orElse(""), cause);
        this.status = status;
        this.requestId = requestId;
    }

    /** Nova's HTTP status, or empty when no response came. */
    public OptionalInt status() {
        return status;
    }

    /** Nova's request id ({@code x-openstack-request-id}), to find the request in Nova's logs. */
    public Optional<String> requestId() {
        return requestId;
    }

    /**
     * Whether Nova may have done what was asked: it answered 2xx but the body could not be read.
     * A request that starts an action is then accepted, whatever its body said.
     */
    public boolean succeeded() {
        return status.isPresent() && status.getAsInt() < 300;
    }

    /** Whether the same request may fare better later: no answer, an unreadable one, or a 5xx. */
    public boolean retryable() {
        return status.isEmpty() || status.getAsInt() < 300 || status.getAsInt() >= 500;
    }

    /** Nova's 409: the server is busy with another task, or locked. */
    public boolean conflict() {
        return status.isPresent() && status.getAsInt() == 409;
    }
}
