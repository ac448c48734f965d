package io.understudy.agent.libvirt;

import java.io.IOException;
import org.libvirt.LibvirtException;

/** A libvirt call failed; the message names the call, its subject and libvirt's own words. */
public class HypervisorException extends IOException {

    private static final long serialVersionUID = 1L;

    HypervisorException(String what, LibvirtException cause) {
        super(what + ": " + cause.getError().getMessage(), cause);
    }

    HypervisorException(String message) {
        super(message);
    }

    /** The libvirt error message alone, without our context. */
    String libvirtMessage() {
        return getCause() instanceof LibvirtException e ? e.getError().getMessage() : getMessage();
    }
}
