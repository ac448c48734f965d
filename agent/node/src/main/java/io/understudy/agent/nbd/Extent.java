package io.understudy.agent.nbd;

/**
 * A run of the export whose status in one metadata context is {@code flags}. What the flags mean
 * is the context's business: {@link #HOLE} and {@link #ZERO} for {@code base:allocation},
 * {@link #DIRTY} for {@code qemu:dirty-bitmap:NAME}, and for {@code qemu:allocation-depth} the
 * whole value is a depth (0 unallocated, 1 the top layer, 2 its backing file, and so on).
 */
public record Extent(long offset, long length, int flags) {

    /** {@code base:allocation}: not allocated in the backing storage. */
    public static final int HOLE = 1;
    /** {@code base:allocation}: reads as zeros. */
    public static final int ZERO = 2;
    /** {@code qemu:dirty-bitmap:NAME}: written since the bitmap was started. */
    public static final int DIRTY = 1;

    public Extent {
        if (offset < 0 || length <= 0 || offset + length < 0) {
            throw new IllegalArgumentException("extent at " + offset + " of length " + length);
        }
    }

    public long end() {
        return offset + length;
    }

    public boolean has(int flag) {
        return (flags & flag) == flag;
    }
}
