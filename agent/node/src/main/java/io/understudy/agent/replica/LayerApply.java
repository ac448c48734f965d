package io.understudy.agent.replica;

import io.understudy.agent.delta.BadDeltaException;
import io.understudy.agent.delta.DeltaReader;
import io.understudy.agent.delta.DeltaStats;
import io.understudy.agent.delta.Manifest;
import io.understudy.agent.qcow2.BackingChain;
import io.understudy.agent.qcow2.LayerWriter;
import io.understudy.agent.qcow2.MapEntry;
import io.understudy.agent.qcow2.Qcow2Check;
import io.understudy.agent.qcow2.Qcow2Image;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.UUID;

/**
 * Applies a delta on top of a replica as one new overlay layer, atomically: the layer is written
 * under a hidden temporary name beside its final one, its stream hash and structure verified,
 * fsynced, renamed into place and the directory fsynced. Until the rename nothing a reader of
 * the replica's chain could see has changed; a crash leaves at most a temporary file, which the
 * next apply to the same name removes.
 */
public final class LayerApply {

    private LayerApply() {}

    /** How to apply: what to check, where else the records go, whether the layer may replace a file. */
    public record Options(boolean verifyBase, byte[] knownBase, DeltaReader.Sink tee, boolean replace) {
        public static final Options DEFAULT = new Options(false, null, null, false);
    }

    /**
     * @param base   the replica's current top (qcow2 or raw); must have the delta's base size
     * @param delta  the delta stream, not yet opened
     * @param layer  where the new layer appears
     * @param verifyBase  also hash the base and compare it with the manifest the delta names
     */
    public static DeltaStats apply(Path base, InputStream delta, Path layer, boolean verifyBase) throws IOException {
        return apply(base, DeltaReader.open(delta), layer, new Options(verifyBase, null, null, false));
    }

    /**
     * Applies an opened delta. {@code base} null writes a layer without a backing file (a seed
     * becomes a whole disk). With {@code knownBase} (the base's manifest hash, as the replica store
     * keeps it) the delta must name that base. {@code tee} sees every verified record as well.
     */
    public static DeltaStats apply(Path base, DeltaReader reader, Path layer, Options options) throws IOException {
        if (!options.replace() && Files.exists(layer)) {
            throw new FileAlreadyExistsException(layer.toString(), null, "exists; refusing to overwrite a layer");
        }
        Path dir = layer.toAbsolutePath().getParent();
        String name = layer.getFileName().toString();
        removeLeftovers(dir, name);
        var header = reader.header();
        try (BackingChain chain = base == null ? null : BackingChain.open(base)) {
            long baseSize = chain == null ? header.newSize() : chain.virtualSize();
            if (chain == null && !header.seed()) {
                throw new BadDeltaException("only a seed delta can make a layer without a base");
            }
            if (baseSize != header.baseSize()) {
                throw new BadDeltaException("base " + base + " is " + baseSize
                        + " bytes; the delta was made against a base of " + header.baseSize() + " bytes");
            }
            if (options.knownBase() != null || options.verifyBase()) {
                if (header.baseManifest().isEmpty()) {
                    throw new BadDeltaException("the delta does not name its base's content (make it with diff --hash-base)");
                }
                byte[] actual = options.knownBase() != null ? options.knownBase()
                        : chain == null ? new Manifest(header.clusterSize(), baseSize).finish()
                        : Manifest.of(chain, header.clusterSize());
                if (!MessageDigest.isEqual(actual, header.baseManifest().get())) {
                    throw new BadDeltaException("base " + (base == null ? "(empty disk)" : base)
                            + " does not hold the content the delta was made against");
                }
            }
            Path temp = dir.resolve("." + name + ".partial-" + UUID.randomUUID());
            try {
                DeltaStats stats;
                try (FileChannel out = FileChannel.open(temp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                    LayerWriter writer = new LayerWriter(out, header.newSize(),
                            Integer.numberOfTrailingZeros(header.clusterSize()),
                            chain == null ? null : backingName(base, dir), chain == null ? null : chain.top().format());
                    DeltaReader.Sink tee = options.tee();
                    stats = reader.readAll(new DeltaReader.Sink() {
                        @Override
                        public void data(long cluster, ByteBuffer payload, byte[] sha256) throws IOException {
                            writer.writeData(cluster, payload.duplicate());
                            if (tee != null) {
                                tee.data(cluster, payload, sha256);
                            }
                        }

                        @Override
                        public void zeros(long first, long count) throws IOException {
                            zeroRun(chain, header.clusterSize(), writer, first, count);
                            if (tee != null) {
                                tee.zeros(first, count);
                            }
                        }
                    });
                    writer.finish();
                    out.force(true);
                }
                verify(temp);
                Files.move(temp, layer, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                Durable.fsyncDirectory(dir);
                return stats;
            } finally {
                Files.deleteIfExists(temp);
            }
        }
    }

    /**
     * Writes a run of zero clusters with as few tables as reads the same: clusters that already
     * read as zeros below (the chain has no data there, or there is no chain: a seed) stay
     * unallocated; only clusters over data below need zero entries. A claim of a huge empty disk
     * thus costs a header and an L1 table, not L2 tables for all of it.
     */
    static void zeroRun(BackingChain chain, int clusterSize, LayerWriter writer, long first, long count)
            throws IOException {
        long end = first + count;
        long baseSize = chain == null ? 0 : chain.virtualSize();
        long cluster = first;
        while (cluster < end) {
            long offset = cluster * clusterSize;
            if (offset >= baseSize) {
                writer.skip(cluster, end - cluster); // past the chain's end, everything reads zeros
                return;
            }
            MapEntry below = chain.resolve(offset, (end - cluster) * clusterSize);
            long reach = below.end() - offset;
            if (below.zero()) {
                // Only whole clusters are zero below; a partial one at the chain's end is, since beyond it reads zero.
                long n = below.end() >= baseSize ? ceilDiv(reach, clusterSize) : reach / clusterSize;
                if (n > 0) {
                    n = Math.min(n, end - cluster);
                    writer.skip(cluster, n);
                    cluster += n;
                    continue;
                }
            }
            long n = Math.min(Math.max(1, ceilDiv(reach, clusterSize)), end - cluster);
            writer.writeZeros(cluster, n);
            cluster += n;
        }
    }

    private static long ceilDiv(long a, long b) {
        return (a + b - 1) / b;
    }

    /** The layer records its backing file by name alone when both share a directory, as Nova's chains do. */
    static String backingName(Path base, Path layerDir) {
        Path absolute = base.toAbsolutePath().normalize();
        if (layerDir.normalize().equals(absolute.getParent())) {
            return absolute.getFileName().toString();
        }
        return absolute.toString();
    }

    /** A layer we wrote must pass our own structural check before anyone can see it. */
    private static void verify(Path layer) throws IOException {
        try (Qcow2Image written = Qcow2Image.open(layer)) {
            Qcow2Check.Result result = Qcow2Check.check(written);
            if (!result.clean() || result.leaks() != 0) {
                throw new IllegalStateException("layer " + layer + " failed its check: " + result.problems());
            }
        }
    }

    private static void removeLeftovers(Path dir, String name) throws IOException {
        try (DirectoryStream<Path> stale = Files.newDirectoryStream(dir, "." + name + ".partial-*")) {
            for (Path p : stale) {
                Files.deleteIfExists(p);
            }
        }
    }

}
