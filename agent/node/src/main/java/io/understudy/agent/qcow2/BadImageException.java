package io.understudy.agent.qcow2;

import java.nio.file.Path;

/** An image that is damaged, hostile or uses a feature we refuse; the message names file and reason. */
public final class BadImageException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final Path file;

    public BadImageException(Path file, String reason) {
        super(file + ": " + reason);
        this.file = file;
    }

    public Path file() {
        return file;
    }
}
