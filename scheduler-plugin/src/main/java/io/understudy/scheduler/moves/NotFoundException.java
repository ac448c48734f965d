package io.understudy.scheduler.moves;

/**
 * A VM or host named in an operator's request that Nova does not know, or that is not ours to act
 * on: 404 from the API, exit 3 (bad input) from the command line.
 */
public final class NotFoundException extends IllegalArgumentException {

    private static final long serialVersionUID = 1L;

    public NotFoundException(String message) {
        super(message);
    }
}
