package io.understudy.nova.keystone;

/** Logging in failed: Keystone refused, could not be reached, or its catalog lacks what we need. */
public final class KeystoneException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public KeystoneException(String message, Throwable cause) {
        super(message, cause);
    }

    public KeystoneException(String message) {
        super(message);
    }
}
