package io.understudy.agent.libvirt;

import java.io.IOException;
import org.libvirt.Error;
import org.libvirt.LibvirtException;

/** A libvirt call failed; the message names the call, its subject and libvirt's own words. */
public final class HypervisorException extends IOException {

    private static final long serialVersionUID = 1L;

    private final Error.ErrorNumber code;

    HypervisorException(String what, LibvirtException cause) {
        super(what + ": " + cause.getError().getMessage(), cause);
        this.code = cause.getError().getCode();
    }

    HypervisorException(String message) {
        super(message);
        this.code = Error.ErrorNumber.VIR_ERR_OK;
    }

    /** libvirt's error number ({@code VIR_ERR_OK} when the failure is ours, not libvirt's). */
    public Error.ErrorNumber code() {
        return code;
    }

    /** The libvirt error message alone, without our context. */
    String libvirtMessage() {
        return getCause() instanceof LibvirtException e ? e.getError().getMessage() : getMessage();
    }
}
