package io.understudy.agent.replica;

import java.io.IOException;
import java.util.UUID;

/** A boot file sent is larger than any kernel or ramdisk (BootFiles#MAX_BYTES): nothing was kept. */
public final class BootFileTooLargeException extends IOException {
    private static final long serialVersionUID = 1L;

    public BootFileTooLargeException(UUID vm, BootFiles.Kind kind) {
        super("the " + kind.fileName() + " of " + vm + " exceeds " + BootFiles.MAX_BYTES + " bytes; nothing kept");
    }
}
