package io.understudy.nova.keystone;

/** Gets a fresh token and Nova endpoint; called again whenever the last token expired or was refused. */
@FunctionalInterface
public interface SessionSource {

    /**
     * Logs in anew.
     *
     * @throws KeystoneException when Keystone refuses or cannot be reached, or its catalog has no Nova
     */
    ComputeSession login();
}
