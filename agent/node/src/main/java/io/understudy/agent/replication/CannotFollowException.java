package io.understudy.agent.replication;

import java.io.IOException;

/**
 * The VM's domain is laid out in a way the agent cannot replicate correctly (no root disk by its
 * role, two disks claiming it, a format it cannot capture, another file than the one its
 * protection was set up with). Unlike a domain briefly gone or busy, waiting does not help:
 * the VM's protection stops (see {@link ProtectionStoppedException}).
 */
final class CannotFollowException extends IOException {

    private static final long serialVersionUID = 1L;

    CannotFollowException(String reason) {
        super(reason);
    }
}
