package io.understudy.agent.replica;

import java.util.UUID;

/** A delta made from another version than the one the replica holds; nothing was changed. */
public final class VersionConflictException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final long held;

    public VersionConflictException(UUID vm, long held, long from) {
        super("replica of " + vm + " holds version " + held + "; the delta starts from version " + from);
        this.held = held;
    }

    /** The version the replica holds: the primary sends the next delta from there. */
    public long held() {
        return held;
    }
}
