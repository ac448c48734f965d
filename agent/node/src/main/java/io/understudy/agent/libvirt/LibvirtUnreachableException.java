package io.understudy.agent.libvirt;

/**
 * libvirtd does not answer (stopped, killed, restarting) and the agent is reconnecting: the call
 * was not made. Not a fault of the request; the same call succeeds once the daemon is back.
 */
public final class LibvirtUnreachableException extends HypervisorException {

    private static final long serialVersionUID = 1L;

    LibvirtUnreachableException(String message) {
        super(message);
    }
}
