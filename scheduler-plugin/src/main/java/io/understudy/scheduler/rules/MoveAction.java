package io.understudy.scheduler.rules;

import java.util.Arrays;
import java.util.Optional;

/** What the policy does with a VM whose primary is out of range. */
public enum MoveAction {
    /** Nova live migration to the chosen secondary: for a primary that still works. */
    LIVE_MIGRATE("live-migrate"),
    /** Fence the primary, boot the chosen secondary's replica (Nova evacuate): for a primary that is down. */
    EVACUATE("evacuate"),
    /** Report only. */
    NONE("none");

    private final String key;

    MoveAction(String key) {
        this.key = key;
    }

    public String key() {
        return key;
    }

    public static Optional<MoveAction> byKey(String key) {
        return Arrays.stream(values()).filter(a -> a.key.equals(key)).findFirst();
    }
}
