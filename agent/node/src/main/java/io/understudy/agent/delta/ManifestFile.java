package io.understudy.agent.delta;

import io.understudy.agent.qcow2.BackingChain;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.Closeable;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.Arrays;

/**
 * A disk's per-cluster content hashes on disk: the replica store and the primary keep one per
 * version, so a round never rereads a disk to know what the other side holds. Entries are the
 * non-zero clusters in ascending order, streamed in and out: memory stays flat for any disk.
 *
 * <pre>
 * magic "USMFILE1", u32 cluster size, u64 virtual size,
 * entries: u64 cluster, 32 bytes SHA-256 of its bytes (ascending),
 * trailer: u64 entry count, 32 bytes manifest hash ({@link Manifest})
 * </pre>
 */
public final class ManifestFile {

    private static final byte[] MAGIC = {'U', 'S', 'M', 'F', 'I', 'L', 'E', '1'};
    private static final int HEADER = 8 + 4 + 8;
    private static final int ENTRY = 8 + Manifest.HASH_BYTES;
    private static final int TRAILER = 8 + Manifest.HASH_BYTES;
    private static final int BUFFER = 1 << 16;

    private ManifestFile() {}

    /**
     * Hashes {@code chain}'s whole content into a new manifest file (a base image the primary and a
     * secondary both hold, say); returns the manifest hash.
     */
    public static byte[] write(BackingChain chain, int clusterSize, Path file) throws IOException {
        try (Writer w = new Writer(file, clusterSize, chain.virtualSize())) {
            MessageDigest cluster = DeltaFormat.sha256();
            ClusterScan.forEachNonZero(chain, clusterSize, (index, data) -> {
                cluster.update(data);
                w.add(index, cluster.digest());
            });
            return w.finish();
        }
    }

    /** What a manifest file says about itself, read without its entries. */
    public record Summary(int clusterSize, long virtualSize, long entries, byte[] hash) {}

    public static Summary summary(Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size < HEADER + TRAILER || (size - HEADER - TRAILER) % ENTRY != 0) {
                throw new IOException(file + ": not a manifest file (size " + size + ")");
            }
            ByteBuffer head = ByteBuffer.allocate(HEADER);
            readFully(ch, head, 0);
            byte[] magic = new byte[MAGIC.length];
            head.flip().get(magic);
            if (!Arrays.equals(magic, MAGIC)) {
                throw new IOException(file + ": not a manifest file (bad magic)");
            }
            int clusterSize = head.getInt();
            long virtualSize = head.getLong();
            ByteBuffer tail = ByteBuffer.allocate(TRAILER);
            readFully(ch, tail, size - TRAILER);
            tail.flip();
            long entries = tail.getLong();
            if (entries != (size - HEADER - TRAILER) / ENTRY) {
                throw new IOException(file + ": manifest file is damaged (entry count)");
            }
            byte[] hash = new byte[Manifest.HASH_BYTES];
            tail.get(hash);
            return new Summary(clusterSize, virtualSize, entries, hash);
        }
    }

    /**
     * A reader over no entries: the manifest of an empty disk. Written to {@code scratch} and
     * unlinked at once; the open reader keeps it readable.
     */
    public static Reader empty(Path scratch, int clusterSize, long virtualSize) throws IOException {
        Files.deleteIfExists(scratch);
        try (Writer w = new Writer(scratch, clusterSize, virtualSize)) {
            w.finish();
        }
        Reader r = new Reader(scratch);
        Files.delete(scratch);
        return r;
    }

    private static void readFully(FileChannel ch, ByteBuffer b, long pos) throws IOException {
        while (b.hasRemaining()) {
            if (ch.read(b, pos + b.position()) < 0) {
                throw new EOFException();
            }
        }
    }

    /** Reads entries in ascending order. */
    public static final class Reader implements Closeable {
        private final DataInputStream in;
        private final Summary summary;
        private long left;
        private long cluster = -1;
        private final byte[] hash = new byte[Manifest.HASH_BYTES];

        public Reader(Path file) throws IOException {
            this.summary = ManifestFile.summary(file);
            InputStream raw = Files.newInputStream(file);
            this.in = new DataInputStream(new BufferedInputStream(raw, BUFFER));
            in.skipNBytes(HEADER);
            this.left = summary.entries();
        }

        public Summary summary() {
            return summary;
        }

        /** Moves to the next entry; false at the end. */
        public boolean next() throws IOException {
            if (left == 0) {
                cluster = Long.MAX_VALUE;
                return false;
            }
            left--;
            cluster = in.readLong();
            in.readFully(hash);
            return true;
        }

        /** The current entry's cluster; {@link Long#MAX_VALUE} past the end. */
        public long cluster() {
            return cluster;
        }

        public byte[] hash() {
            return hash;
        }

        @Override
        public void close() throws IOException {
            in.close();
        }
    }

    /** Writes entries in ascending order and computes the manifest hash as it goes. */
    public static final class Writer implements Closeable {
        private final FileChannel channel;
        private final DataOutputStream out;
        private final Manifest manifest;
        private long entries;

        public Writer(Path file, int clusterSize, long virtualSize) throws IOException {
            this.channel = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
            OutputStream raw = java.nio.channels.Channels.newOutputStream(channel);
            this.out = new DataOutputStream(new BufferedOutputStream(raw, BUFFER));
            this.manifest = new Manifest(clusterSize, virtualSize);
            out.write(MAGIC);
            out.writeInt(clusterSize);
            out.writeLong(virtualSize);
        }

        public void add(long cluster, byte[] sha256) throws IOException {
            manifest.add(cluster, sha256);
            out.writeLong(cluster);
            out.write(sha256);
            entries++;
        }

        /** Writes the trailer, fsyncs, and returns the manifest hash. */
        public byte[] finish() throws IOException {
            byte[] hash = manifest.finish();
            out.writeLong(entries);
            out.write(hash);
            out.flush();
            channel.force(true);
            return hash;
        }

        @Override
        public void close() throws IOException {
            out.close();
        }
    }
}
