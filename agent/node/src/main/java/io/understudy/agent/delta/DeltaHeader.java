package io.understudy.agent.delta;

import io.understudy.agent.qcow2.Header;
import java.util.Arrays;
import java.util.Optional;
import java.util.UUID;

/**
 * What a delta says about itself: its unit (the cluster size), the virtual size it produces, the
 * base it applies to (virtual size, and the base's {@link Manifest} hash when it was named), and,
 * for the agent, the VM, the versions it goes from and to, and when the guest state it carries was
 * captured (the replica's lag is measured from then).
 *
 * @param baseManifest 32 bytes, or empty when the maker did not hash the base
 * @param vm           empty outside the agent (command-line deltas)
 */
public record DeltaHeader(
        int clusterSize,
        long newSize,
        long baseSize,
        boolean seed,
        Optional<byte[]> baseManifest,
        Optional<UUID> vm,
        long fromVersion,
        long toVersion,
        long capturedAtMillis) {

    public static final int MIN_CLUSTER = 512;
    public static final int MAX_CLUSTER = 2 << 20;
    public static final long MAX_SIZE = 1L << 56;

    public DeltaHeader {
        if (Integer.bitCount(clusterSize) != 1 || clusterSize < MIN_CLUSTER || clusterSize > MAX_CLUSTER) {
            throw new BadDeltaException("cluster size " + clusterSize + " is not a power of two in 512..2 MiB");
        }
        if (newSize < 0 || newSize > MAX_SIZE || baseSize < 0 || baseSize > MAX_SIZE) {
            throw new BadDeltaException("absurd disk size in delta header (" + newSize + ", " + baseSize + ")");
        }
        // Checked here, a size no layer can hold is the sender's error, before anything is written.
        long most = Header.maxVirtualSize(clusterSize);
        if (newSize > most) {
            throw new BadDeltaException("delta header's new size of " + newSize + " bytes is more than a layer of "
                    + clusterSize + "-byte clusters can hold (" + most + " bytes)");
        }
        if (seed && baseSize != newSize) {
            throw new BadDeltaException("a seed delta applies to an empty disk of its own size");
        }
        if (baseManifest.isPresent() && baseManifest.get().length != Manifest.HASH_BYTES) {
            throw new BadDeltaException("base manifest hash of " + baseManifest.get().length + " bytes");
        }
        baseManifest = baseManifest.map(byte[]::clone);
    }

    /** A delta for the command line: no VM, no versions. */
    public static DeltaHeader of(int clusterSize, long newSize, long baseSize, boolean seed, byte[] baseManifest) {
        return new DeltaHeader(clusterSize, newSize, baseSize, seed, Optional.ofNullable(baseManifest),
                Optional.empty(), 0, 0, 0);
    }

    public long clusterCount() {
        return newSize == 0 ? 0 : (newSize - 1) / clusterSize + 1;
    }

    /** Bytes cluster {@code index} holds: a full cluster, or what is left at the disk's end. */
    public int clusterLength(long index) {
        return (int) Math.min(clusterSize, newSize - index * clusterSize);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof DeltaHeader h && clusterSize == h.clusterSize && newSize == h.newSize
                && baseSize == h.baseSize && seed == h.seed && vm.equals(h.vm) && fromVersion == h.fromVersion
                && toVersion == h.toVersion && capturedAtMillis == h.capturedAtMillis
                && Arrays.equals(baseManifest.orElse(null), h.baseManifest.orElse(null));
    }

    @Override
    public int hashCode() {
        return Long.hashCode(newSize) * 31 + Long.hashCode(toVersion);
    }
}
