package io.understudy.agent.replication;

import java.io.IOException;
import java.time.Instant;
import java.util.UUID;

/**
 * A round asked while the VM's rounds are held: for a live migration (see {@code Hold}), or while
 * Nova begins a live snapshot on this host.
 */
public final class RoundsHeldException extends IOException {

    private static final long serialVersionUID = 1L;

    RoundsHeldException(UUID vm, Instant until) {
        super("the rounds of vm " + vm + " are held until " + until + " (a live migration); release the hold first");
    }

    RoundsHeldException(UUID vm, String why) {
        super("no round of vm " + vm + " now: " + why);
    }
}
