package io.understudy.scheduler.moves;

/** A move was asked for a VM that has one open already. */
public final class MoveConflictException extends RuntimeException {

    public MoveConflictException(String message) {
        super(message);
    }
}
