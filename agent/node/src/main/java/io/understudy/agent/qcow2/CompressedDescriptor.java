package io.understudy.agent.qcow2;

/**
 * Where a compressed cluster's bytes lie: an L2 entry with bit 62 set packs the host offset in its
 * low {@code 62 - (cluster_bits - 8)} bits and the number of additional 512-byte sectors above them.
 * The data may straddle host clusters and ends somewhere in its last sector.
 */
record CompressedDescriptor(long offset, long size) {

    static CompressedDescriptor decode(long entry, int clusterBits) {
        int shift = 62 - (clusterBits - 8);
        long offsetMask = (1L << shift) - 1;
        long sectorMask = (1L << (clusterBits - 8)) - 1;
        long offset = entry & offsetMask;
        long sectors = ((entry >>> shift) & sectorMask) + 1;
        return new CompressedDescriptor(offset, sectors * 512 - (offset & 511));
    }
}
