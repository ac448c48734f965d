package io.understudy.nova.client;

import java.util.Optional;
import java.util.OptionalInt;

/**
 * A Nova request that did not succeed: Nova answered with an error status, or no answer came
 * (connection refused, timeout), in which case {@link #status()} is empty.
 */
public final class NovaException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final OptionalInt status;
    private final transient Optional<String> requestId;

    NovaException(String message, OptionalInt status, Optional<String> requestId, Throwable cause) {
        super(message, cause);
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
}
