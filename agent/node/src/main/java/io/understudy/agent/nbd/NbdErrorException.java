package io.understudy.agent.nbd;

/**
 * The server answered one request with an error (an NBD error value such as {@code NBD_EIO}) in a
 * well-formed reply. The connection stays usable, unless the error was {@code NBD_ESHUTDOWN}: then
 * the protocol obliges the client to disconnect, and it has.
 */
public final class NbdErrorException extends NbdException {
    private static final long serialVersionUID = 1L;

    private final int error;

    NbdErrorException(String message, int error) {
        super(message);
        this.error = error;
    }

    /** The NBD error value, e.g. 5 for {@code NBD_EIO}. */
    public int error() {
        return error;
    }
}
