package io.understudy.agent.libvirt;

import java.io.IOException;
import java.util.UUID;

/**
 * A round {@link LiveCapture#bar} stopped: its backup aborted, or never begun. Nothing it read
 * counts; the next round, once the bar is lifted, goes on from the previous checkpoint.
 */
public final class RoundAbortedException extends IOException {

    private static final long serialVersionUID = 1L;

    RoundAbortedException(UUID vm, Throwable cause) {
        super("the round of vm " + vm + " was aborted: its rounds are barred (a live migration is coming)", cause);
    }
}
