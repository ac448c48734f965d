package io.understudy.scheduler.round;

import java.util.Set;

/**
 * The hosts failure detection has declared failed (DESIGN.md, "Failure"): out of range for every
 * VM on them, whatever the rules say, without waiting for {@code for:} or cooldowns. The
 * {@code detect} package provides them; {@link #NONE} where detection does not run.
 */
@FunctionalInterface
public interface FailedHosts {

    FailedHosts NONE = () -> Set.of();

    Set<String> now();
}
