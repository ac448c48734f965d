package io.understudy.agent.qcow2;

import com.sun.jna.LastErrorException;
import com.sun.jna.Library;
import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.Platform;
import com.sun.jna.Pointer;
import java.io.Closeable;
import java.nio.file.Path;

/**
 * Where a sparse file has holes, from {@code lseek(SEEK_DATA/SEEK_HOLE)} as QEMU's file driver
 * asks it: Nova keeps instance bases as sparse raw files, and a hole reads as zeros without
 * being read. Java has no such call, hence JNA; where it is unavailable every byte counts as data,
 * which is slower but never wrong.
 */
final class FileHoles implements Closeable {

    private static final int SEEK_DATA = 3;
    private static final int SEEK_HOLE = 4;
    private static final int ENXIO = 6;

    interface LibC extends Library {
        int open(String path, int flags) throws LastErrorException;

        long lseek(int fd, long offset, int whence) throws LastErrorException;

        int close(int fd) throws LastErrorException;

        int fstat(int fd, Pointer stat) throws LastErrorException;
    }

    /** struct stat is 144 bytes on x86_64 and 128 on aarch64; st_blocks sits at offset 64 on both. */
    private static final int STAT_BYTES = 144;
    private static final int ST_BLOCKS_OFFSET = 64;
    private static final boolean STAT_LAYOUT_KNOWN = Platform.isLinux()
            && (Platform.ARCH.equals("x86-64") || Platform.ARCH.equals("aarch64"));

    private static final LibC LIBC = load();

    private static LibC load() {
        try {
            return Native.load("c", LibC.class);
        } catch (UnsatisfiedLinkError | RuntimeException e) {
            return null;
        }
    }

    /** A run of bytes from an offset: data, or a hole. */
    record Run(long length, boolean hole) {}

    private final int fd;

    private FileHoles(int fd) {
        this.fd = fd;
    }

    /** A hole finder for {@code path}, or null when the platform cannot tell holes. */
    static FileHoles open(Path path) {
        if (LIBC == null) {
            return null;
        }
        try {
            return new FileHoles(LIBC.open(path.toString(), 0));
        } catch (LastErrorException e) {
            return null;
        }
    }

    /** The run starting at {@code offset}, at most {@code max} bytes, of a file of {@code size} bytes. */
    Run run(long offset, long max, long size) {
        long limit = Math.min(max, size - offset);
        long data;
        try {
            data = LIBC.lseek(fd, offset, SEEK_DATA);
        } catch (LastErrorException e) {
            if (e.getErrorCode() == ENXIO) {
                return new Run(limit, true);
            }
            return new Run(limit, false);
        }
        if (data > offset) {
            return new Run(Math.min(limit, data - offset), true);
        }
        long hole;
        try {
            hole = LIBC.lseek(fd, offset, SEEK_HOLE);
        } catch (LastErrorException e) {
            return new Run(limit, false);
        }
        return new Run(Math.min(limit, Math.max(hole - offset, 1)), false);
    }

    /** Bytes the file occupies on disk (st_blocks × 512), or -1 when that cannot be known here. */
    long allocatedBytes() {
        if (!STAT_LAYOUT_KNOWN) {
            return -1;
        }
        try (Memory stat = new Memory(STAT_BYTES)) {
            LIBC.fstat(fd, stat);
            return stat.getLong(ST_BLOCKS_OFFSET) * 512;
        } catch (LastErrorException | UnsatisfiedLinkError e) {
            return -1;
        }
    }

    @Override
    public void close() {
        try {
            LIBC.close(fd);
        } catch (LastErrorException e) {
            // Nothing was written through this descriptor; a failed close loses nothing.
        }
    }
}
