package io.understudy.agent.qcow2;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The persistent bitmaps' directory as the file holds it (qcow2 spec, "Bitmap directory"): the
 * entries read before any damage, and the damage, so a check can still count what lies before it.
 */
record BitmapDirectory(List<Entry> entries, Optional<String> damage) {

    BitmapDirectory {
        entries = List.copyOf(entries);
    }

    /** One bitmap: its name and its bitmap table. */
    record Entry(String name, long tableOffset, long tableSize) {}

    /** Reads {@code count} entries from {@code dir} (big-endian, positioned at the directory's start). */
    static BitmapDirectory parse(ByteBuffer dir, int count) {
        List<Entry> entries = new ArrayList<>();
        long pos = 0; // long: an entry's sizes come from the file and may add up past 2^31
        for (int k = 0; k < count; k++) {
            if (pos + 24 > dir.limit()) {
                return new BitmapDirectory(entries, Optional.of("bitmap directory is shorter than its " + count
                        + " entries"));
            }
            long tableOffset = dir.getLong((int) pos);
            long tableSize = Integer.toUnsignedLong(dir.getInt((int) pos + 8));
            int nameSize = Short.toUnsignedInt(dir.getShort((int) pos + 18));
            long extraSize = Integer.toUnsignedLong(dir.getInt((int) pos + 20));
            long entrySize = (24 + extraSize + nameSize + 7) & ~7L;
            if (pos + entrySize > dir.limit()) {
                return new BitmapDirectory(entries, Optional.of("bitmap " + k + "'s directory entry (" + entrySize
                        + " bytes) runs past the bitmap directory"));
            }
            byte[] name = new byte[nameSize];
            dir.get((int) (pos + 24 + extraSize), name);
            entries.add(new Entry(new String(name, StandardCharsets.UTF_8), tableOffset, tableSize));
            pos += entrySize;
        }
        return new BitmapDirectory(entries, Optional.empty());
    }
}
