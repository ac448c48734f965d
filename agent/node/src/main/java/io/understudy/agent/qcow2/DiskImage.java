package io.understudy.agent.qcow2;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;

/** One layer of a backing chain: a qcow2 file or a raw file, read on its own. */
public sealed interface DiskImage extends Closeable permits Qcow2Image, RawImage {

    Path path();

    /** "qcow2" or "raw", as QEMU names the formats. */
    String format();

    long virtualSize();

    /**
     * What this layer alone says about the guest bytes starting at {@code offset}: a run of at most
     * {@code maxBytes} (> 0, within the virtual size) in one state.
     */
    Extent status(long offset, long maxBytes) throws IOException;

    /**
     * Reads guest bytes that this layer stores itself: {@code [offset, offset + dst.remaining())}
     * must lie within one extent whose status is data.
     */
    void readData(long offset, ByteBuffer dst) throws IOException;

    /** The backing file named in this layer, if any, and its format when the layer names it. */
    default java.util.Optional<String> backingFile() {
        return java.util.Optional.empty();
    }

    default java.util.Optional<String> backingFormat() {
        return java.util.Optional.empty();
    }
}
