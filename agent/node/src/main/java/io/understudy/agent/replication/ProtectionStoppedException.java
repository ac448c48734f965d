package io.understudy.agent.replication;

import java.io.IOException;
import java.util.UUID;

/**
 * A VM's protection stopped here because its domain changed in a way the agent cannot follow:
 * no round runs until it is protected again, which restarts it with a full round. The replicas on
 * the secondaries stay as the last good round left them.
 */
public final class ProtectionStoppedException extends IOException {

    private static final long serialVersionUID = 1L;

    ProtectionStoppedException(UUID vm, String host, String reason) {
        super("protection of vm " + vm + " stopped on host " + host + ": " + reason
                + "; protect it again to restart it with a full round");
    }
}
