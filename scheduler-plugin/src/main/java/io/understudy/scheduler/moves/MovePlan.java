package io.understudy.scheduler.moves;

import static java.util.Objects.requireNonNull;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * What a move is to do, fixed when it starts and journaled with it.
 *
 * @param source the VM's primary when the move was decided
 * @param target the host it moves to
 * @param holders the hosts other than the source that held a replica when it was decided
 * @param interval the replication interval the new assignments carry
 * @param reason why it moves, in the operator's words (the decision's reasons, or "by hand")
 */
public record MovePlan(UUID vm, MoveKind kind, String source, String target, List<String> holders,
        Duration interval, String reason) {

    public MovePlan {
        requireNonNull(vm, "vm is null");
        requireNonNull(kind, "kind is null");
        requireHost(source, "source");
        requireHost(target, "target");
        holders = List.copyOf(requireNonNull(holders, "holders is null"));
        requireNonNull(interval, "interval is null");
        requireNonNull(reason, "reason is null");
        if (source.equals(target)) {
            throw new IllegalArgumentException("move of " + vm + ": target " + target + " is its primary");
        }
        if (holders.contains(source)) {
            throw new IllegalArgumentException("move of " + vm + ": the primary " + source + " is listed as a replica holder");
        }
        if (kind == MoveKind.FAILOVER && !holders.contains(target)) {
            throw new IllegalArgumentException("failover of " + vm + ": " + target + " holds no replica of it "
                    + "(holders " + holders + ")");
        }
        if (interval.isNegative() || interval.isZero()) {
            throw new IllegalArgumentException("move of " + vm + ": replication interval " + interval + " is not positive");
        }
    }

    /** After the move: every replica holder but the target, and the old primary. */
    public List<String> newSecondaries() {
        List<String> secondaries = new ArrayList<>(holders);
        secondaries.remove(target);
        secondaries.add(source);
        return secondaries;
    }

    /** "live migration of VM compute1 -> compute2". */
    public String describe() {
        return kind + " of " + vm + " " + source + " -> " + target;
    }

    private static void requireHost(String host, String what) {
        if (host == null || host.isBlank()) {
            throw new IllegalArgumentException("move " + what + " host '" + host + "' is blank");
        }
    }
}
