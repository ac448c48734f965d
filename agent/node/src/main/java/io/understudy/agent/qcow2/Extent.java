package io.understudy.agent.qcow2;

/**
 * The state of a run of guest bytes in one layer, in QEMU's block-status terms: {@code data} (the
 * layer stores the bytes), {@code zero} (they read as zeros), neither (unallocated here: ask the
 * backing file). {@code hostOffset} is where the run starts in the layer's file, or -1 when the
 * bytes have no place of their own there (compressed, or unallocated without a host cluster).
 */
public record Extent(long length, boolean data, boolean zero, long hostOffset) {

    public Extent {
        if (length <= 0) {
            throw new IllegalArgumentException("extent length " + length);
        }
    }

    /** Allocated in this layer: the backing file is not consulted. */
    public boolean present() {
        return data || zero;
    }

    public boolean hasOffset() {
        return hostOffset >= 0;
    }

    static Extent unallocated(long length) {
        return new Extent(length, false, false, -1);
    }
}
