package io.understudy.scheduler.round;

import java.util.Set;

/**
 * The hosts failure detection has declared failed (DESIGN.md, "Failure"). Detection itself is
 * issue 9's; until it exists no host is ever declared failed, and only the rules move VMs.
 */
@FunctionalInterface
public interface FailedHosts {

    FailedHosts NONE = () -> Set.of();

    Set<String> now();
}
