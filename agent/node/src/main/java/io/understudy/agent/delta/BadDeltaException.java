package io.understudy.agent.delta;

/** A delta that is damaged, truncated, tampered with or made against another base; nothing was applied. */
public final class BadDeltaException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public BadDeltaException(String reason) {
        super(reason);
    }
}
