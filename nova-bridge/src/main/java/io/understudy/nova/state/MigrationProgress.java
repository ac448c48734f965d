package io.understudy.nova.state;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.Locale;
import java.util.Optional;

/**
 * How far a live migration in progress has copied the server's memory and disks, as Nova reports
 * it ({@code GET /servers/{id}/migrations/{mid}}, from 2.23); a figure libvirt has not reported yet
 * is 0.
 */
public record MigrationProgress(long memoryTotalBytes, long memoryProcessedBytes, long diskTotalBytes,
        long diskProcessedBytes) {

    /** Reads the {@code migration} member of Nova's answer. */
    public static MigrationProgress fromJson(JsonNode migration) {
        return new MigrationProgress(bytes(migration, "memory_total_bytes"), bytes(migration, "memory_processed_bytes"),
                bytes(migration, "disk_total_bytes"), bytes(migration, "disk_processed_bytes"));
    }

    /**
     * Whether Nova has figures yet: its libvirt driver saves them every few seconds of the copy,
     * so a short migration may end before it has any.
     */
    public boolean reported() {
        return memoryTotalBytes > 0 || diskTotalBytes > 0;
    }

    /** Memory and disk copied so far. */
    public long processedBytes() {
        return memoryProcessedBytes + diskProcessedBytes;
    }

    /**
     * One line for the operator: what is copied of each, and the rate since BEFORE was read
     * ELAPSED ago (none: no rate).
     */
    public String describe(Optional<MigrationProgress> before, Duration elapsed) {
        if (!reported()) {
            return "no figures from Nova yet";
        }
        String line = "memory " + part(memoryProcessedBytes, memoryTotalBytes) + ", disk "
                + part(diskProcessedBytes, diskTotalBytes) + " copied";
        if (before.filter(MigrationProgress::reported).isEmpty() || elapsed.isZero() || elapsed.isNegative()) {
            return line;
        }
        double rate = (processedBytes() - before.get().processedBytes()) / (elapsed.toNanos() / 1e9) / 1e6;
        return line + String.format(Locale.ROOT, " at %.1f MB/s", Math.max(0, rate));
    }

    private static String part(long done, long total) {
        if (total <= 0) {
            return "not reported yet";
        }
        return String.format(Locale.ROOT, "%d%% of %s", Math.min(100, done * 100 / total), size(total));
    }

    private static String size(long n) {
        return n >= 1L << 30 ? String.format(Locale.ROOT, "%.1f GiB", n / (double) (1L << 30))
                : String.format(Locale.ROOT, "%d MiB", n >> 20);
    }

    private static long bytes(JsonNode node, String field) {
        JsonNode value = node.path(field);
        return value.canConvertToLong() ? Math.max(0, value.asLong()) : 0;
    }
}
