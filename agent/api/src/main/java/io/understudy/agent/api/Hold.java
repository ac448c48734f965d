package io.understudy.agent.api;

import java.time.Duration;

/**
 * {@code POST /v1/vms/{uuid}/hold}: no replication round of the VM on its primary for
 * {@code lease} (or until released), after a last one when {@code finalRound}. Asked before Nova's
 * live migration of the VM: libvirt's migration must not meet a round's backup job (Nova's
 * migration monitor reads the domain's job and fails the migration on the backup's).
 */
public record Hold(Duration lease, boolean finalRound) {

    /** The longest hold: a controller gone mid-move leaves the VM unreplicated no longer than this. */
    public static final Duration MAX_LEASE = Duration.ofHours(2);

    public Hold {
        Fields.required(lease, "lease");
        if (lease.isNegative() || lease.isZero() || lease.compareTo(MAX_LEASE) > 0) {
            throw new IllegalArgumentException("lease " + lease + " is not between 0 and " + MAX_LEASE);
        }
    }
}
