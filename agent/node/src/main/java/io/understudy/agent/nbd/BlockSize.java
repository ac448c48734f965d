package io.understudy.agent.nbd;

/**
 * The size constraints of an export ({@code NBD_INFO_BLOCK_SIZE}): every request is aligned to
 * {@code minimum}, {@code preferred} is where I/O becomes efficient, and no read asks for more
 * than {@code maximum} bytes. Servers that say nothing get the protocol's defaults.
 */
public record BlockSize(int minimum, int preferred, long maximum) {

    /** What the protocol lets a client assume of a server that advertises nothing. */
    static final BlockSize DEFAULT = new BlockSize(1, 4096, 32 << 20);

    public BlockSize {
        if (!powerOfTwo(minimum) || minimum > 65536) {
            throw new IllegalArgumentException("minimum block size " + minimum + " is not a power of two up to 64 KiB");
        }
        if (!powerOfTwo(preferred) || preferred < minimum) {
            throw new IllegalArgumentException("preferred block size " + preferred
                    + " is not a power of two at least the minimum " + minimum);
        }
        if (maximum < minimum || maximum > 0xffff_ffffL) {
            throw new IllegalArgumentException("maximum payload " + maximum + " is below the minimum block size "
                    + minimum + " or above 2^32-1");
        }
    }

    private static boolean powerOfTwo(int v) {
        return v > 0 && (v & (v - 1)) == 0;
    }
}
