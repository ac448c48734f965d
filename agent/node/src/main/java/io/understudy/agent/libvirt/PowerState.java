package io.understudy.agent.libvirt;

import org.libvirt.DomainInfo;

/** A domain's state as libvirt reports it ({@code virDomainState}). */
public enum PowerState {
    NOSTATE, RUNNING, BLOCKED, PAUSED, SHUTDOWN, SHUTOFF, CRASHED, PMSUSPENDED;

    static PowerState of(DomainInfo.DomainState s) {
        return switch (s) {
            case VIR_DOMAIN_NOSTATE -> NOSTATE;
            case VIR_DOMAIN_RUNNING -> RUNNING;
            case VIR_DOMAIN_BLOCKED -> BLOCKED;
            case VIR_DOMAIN_PAUSED -> PAUSED;
            case VIR_DOMAIN_SHUTDOWN -> SHUTDOWN;
            case VIR_DOMAIN_SHUTOFF -> SHUTOFF;
            case VIR_DOMAIN_CRASHED -> CRASHED;
            case VIR_DOMAIN_PMSUSPENDED -> PMSUSPENDED;
        };
    }

    /**
     * True when the domain has no QEMU process: what a fence must reach. A crashed domain kept
     * for inspection ({@code on_crash=preserve}) still has one, with the disk open.
     */
    public boolean stopped() {
        return this == SHUTOFF;
    }
}
