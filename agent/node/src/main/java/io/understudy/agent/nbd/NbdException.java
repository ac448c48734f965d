package io.understudy.agent.nbd;

import java.io.IOException;

/**
 * An NBD connection failed: it could not be made, the server refused what was asked, broke the
 * protocol or went silent. The message names the export and what went wrong. Unless it is an
 * {@link NbdErrorException}, the connection is closed.
 */
public class NbdException extends IOException {
    private static final long serialVersionUID = 1L;

    public NbdException(String message) {
        super(message);
    }

    public NbdException(String message, Throwable cause) {
        super(message, cause);
    }
}
