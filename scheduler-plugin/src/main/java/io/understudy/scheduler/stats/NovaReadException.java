package io.understudy.scheduler.stats;

/** Nova could not be read, or said something that cannot be understood: no decision is made on it. */
public final class NovaReadException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public NovaReadException(String message, Throwable cause) {
        super(message, cause);
    }
}
