package io.understudy.agent.replica;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A path the agent would write through is a symbolic link (or not the kind of file expected):
 * following it would let whoever can write the directory that holds it send the agent's writes,
 * as root, anywhere. Nothing was written.
 */
public final class UnsafePathException extends IOException {
    private static final long serialVersionUID = 1L;

    public UnsafePathException(Path path, String reason) {
        super(path + " " + reason + "; refusing to follow it");
    }
}
