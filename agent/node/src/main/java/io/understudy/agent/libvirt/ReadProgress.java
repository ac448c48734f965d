package io.understudy.agent.libvirt;

import java.util.Locale;
import java.util.Optional;

/**
 * How far a long read of a disk has got, for the operator watching a replica being seeded: given
 * the offset reached and the bytes read so far, a line at most every {@code every} nanoseconds,
 * with the percent of the disk scanned, the bytes read and the rate since the start. A read that
 * ends before the first line is due logs nothing.
 */
final class ReadProgress {

    private final String what;
    private final long size;
    private final long every;
    private final long began;
    private long next;

    /**
     * @param what what is read, e.g. {@code vm 1b2c... disk vda, full round}
     * @param size the disk's size in bytes
     * @param every the nanoseconds between two lines
     * @param now the time the read began, in nanoseconds ({@link System#nanoTime()})
     */
    ReadProgress(String what, long size, long every, long now) {
        if (size < 0 || every <= 0) {
            throw new IllegalArgumentException("size " + size + " and interval " + every + " must be positive");
        }
        this.what = what;
        this.size = size;
        this.every = every;
        this.began = now;
        this.next = now + every;
    }

    /** The line to log at NOW, with the read at offset AT and READ bytes read, if one is due. */
    Optional<String> at(long at, long read, long now) {
        if (now - next < 0) {
            return Optional.empty();
        }
        next = now + every;
        double seconds = (now - began) / 1e9;
        return Optional.of(String.format(Locale.ROOT, "%s: %d%% of %s scanned, %s read at %.1f MB/s", what,
                size == 0 ? 100 : Math.min(100, at * 100 / size), bytes(size), bytes(read), read / 1e6 / seconds));
    }

    private static String bytes(long n) {
        if (n >= 1L << 30) {
            return String.format(Locale.ROOT, "%.1f GiB", n / (double) (1L << 30));
        }
        return String.format(Locale.ROOT, "%.1f MiB", n / (double) (1L << 20));
    }
}
