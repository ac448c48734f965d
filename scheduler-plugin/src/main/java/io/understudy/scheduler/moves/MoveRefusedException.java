package io.understudy.scheduler.moves;

/** A move asked by hand was refused by a safety check before anything was asked of Nova or the agents. */
public final class MoveRefusedException extends RuntimeException {

    public MoveRefusedException(String message) {
        super(message);
    }
}
