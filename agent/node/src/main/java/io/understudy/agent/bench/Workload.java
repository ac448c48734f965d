package io.understudy.agent.bench;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.LongBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Builds the bench's images with QEMU's own tools, as an operator's disks would be made:
 * <ul>
 *   <li>OLD: {@code size} bytes of virtual disk holding {@code data} bytes of random data in 1 MiB
 *       extents scattered over the whole disk (a guest's files are not packed at its start), made
 *       as a sparse raw file and converted by {@code qemu-img convert -O qcow2};</li>
 *   <li>NEW: an overlay on OLD ({@code qemu-img create -b}) in which {@code qemu-io} rewrites a
 *       random {@code change} share of OLD's 64 KiB clusters, anywhere on the disk: 3 in 5 with
 *       new random data, 1 in 5 with the bytes they already hold, 1 in 5 with zeros.</li>
 * </ul>
 * The generator knows what really changed: new data always, zeros where OLD held data (zeros
 * written over a hole change nothing), identical rewrites never.
 */
final class Workload {

    static final int CLUSTER = 64 << 10;
    static final int EXTENT = 1 << 20;
    static final String OLD = "OLD.qcow2";
    static final String NEW = "NEW.qcow2";
    /** Fixed, so two runs build the same images and their figures compare. */
    static final long SEED = 0x5EED_2_DE17AL;
    private static final int COMMANDS_PER_QEMU_IO = 1000;

    /** What was built; {@code changedBytes} is the truth the delta's size is held against. */
    record Plan(long size, long data, long rewritten, long newData, long identical, long zeroed,
            long zeroedOverData, long changedBytes) {}

    private enum Kind { NEW_DATA, IDENTICAL, ZEROS }

    private Workload() {}

    /** Clusters NEW rewrites: at least one, so there is always something to ship. */
    static long rewrittenClusters(long size, double change) {
        return Math.max(1, Math.round(size / CLUSTER * change));
    }

    static Plan build(Path dir, long size, long data, double change, Tools tools) throws Tools.Failure, IOException {
        SplittableRandom random = new SplittableRandom(SEED);
        Path raw = dir.resolve("OLD.generated.raw");
        BitSet dataExtents = writeRandomExtents(raw, size, data, random);

        int[] chosen = choose((int) (size / CLUSTER), (int) rewrittenClusters(size, change), random);
        Path patterns = Files.createDirectory(dir.resolve("patterns"));
        List<String> commands = new ArrayList<>();
        long[] counts = new long[Kind.values().length];
        long zeroedOverData = 0;
        byte[] cluster = new byte[CLUSTER];
        try (FileChannel old = FileChannel.open(raw, StandardOpenOption.READ)) {
            for (int i = 0; i < chosen.length; i++) {
                Kind kind = i % 5 < 3 ? Kind.NEW_DATA : i % 5 == 3 ? Kind.IDENTICAL : Kind.ZEROS;
                counts[kind.ordinal()]++;
                long offset = (long) chosen[i] * CLUSTER;
                if (kind == Kind.ZEROS) {
                    zeroedOverData += dataExtents.get((int) (offset / EXTENT)) ? 1 : 0;
                    commands.add("write -q -z " + offset + " " + CLUSTER);
                    continue;
                }
                if (kind == Kind.NEW_DATA) {
                    fill(cluster, random);
                } else {
                    readFully(old, ByteBuffer.wrap(cluster), offset);
                }
                Path pattern = patterns.resolve(chosen[i] + ".bin");
                Files.write(pattern, cluster);
                commands.add("write -q -s " + dir.relativize(pattern) + " " + offset + " " + CLUSTER);
            }
        }

        tools.run("qemu-img", "convert", "-f", "raw", "-O", "qcow2", raw.getFileName().toString(), OLD);
        Files.delete(raw);
        tools.run("qemu-img", "create", "-q", "-f", "qcow2", "-b", OLD, "-F", "qcow2", NEW);
        for (int from = 0; from < commands.size(); from += COMMANDS_PER_QEMU_IO) {
            List<String> qemuIo = new ArrayList<>(List.of("qemu-io", "-f", "qcow2"));
            for (String c : commands.subList(from, Math.min(commands.size(), from + COMMANDS_PER_QEMU_IO))) {
                qemuIo.add("-c");
                qemuIo.add(c);
            }
            qemuIo.add(NEW);
            tools.run(qemuIo);
        }
        Scratch.deleteTree(patterns);

        long newData = counts[Kind.NEW_DATA.ordinal()];
        return new Plan(size, data, chosen.length, newData, counts[Kind.IDENTICAL.ordinal()],
                counts[Kind.ZEROS.ordinal()], zeroedOverData, (newData + zeroedOverData) * CLUSTER);
    }

    /** A sparse raw file of {@code size} bytes with random data in {@code data / EXTENT} random extents. */
    private static BitSet writeRandomExtents(Path raw, long size, long data, SplittableRandom random) throws IOException {
        int extents = (int) (size / EXTENT);
        int[] chosen = choose(extents, (int) (data / EXTENT), random);
        Arrays.sort(chosen);
        BitSet dataExtents = new BitSet(extents);
        try (RandomAccessFile file = new RandomAccessFile(raw.toFile(), "rw")) {
            file.setLength(size);
            FileChannel ch = file.getChannel();
            byte[] extent = new byte[EXTENT];
            for (int e : chosen) {
                fill(extent, random);
                ByteBuffer b = ByteBuffer.wrap(extent);
                long position = (long) e * EXTENT;
                while (b.hasRemaining()) {
                    position += ch.write(b, position);
                }
                dataExtents.set(e);
            }
        }
        return dataExtents;
    }

    /** {@code k} distinct values of {@code [0, n)} in random order (a partial Fisher–Yates shuffle). */
    private static int[] choose(int n, int k, SplittableRandom random) {
        int[] all = new int[n];
        for (int i = 0; i < n; i++) {
            all[i] = i;
        }
        for (int i = 0; i < k; i++) {
            int j = i + random.nextInt(n - i);
            int t = all[i];
            all[i] = all[j];
            all[j] = t;
        }
        return Arrays.copyOf(all, k);
    }

    private static void fill(byte[] buffer, SplittableRandom random) {
        LongBuffer longs = ByteBuffer.wrap(buffer).asLongBuffer();
        for (int i = 0; i < longs.capacity(); i++) {
            longs.put(i, random.nextLong());
        }
    }

    private static void readFully(FileChannel ch, ByteBuffer dst, long position) throws IOException {
        while (dst.hasRemaining()) {
            if (ch.read(dst, position + dst.position()) < 0) {
                throw new IOException("unexpected end of the generated raw image at " + position);
            }
        }
    }
}
