package io.understudy.agent.qcow2;

import com.github.luben.zstd.ZstdInputStreamNoFinalizer;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;

/**
 * Decompresses qcow2 clusters: raw deflate (no zlib header) or zstd. As in QEMU, a cluster is good
 * when it decompresses to a full cluster; bytes after that (sector padding, the start of the next
 * compressed cluster) are ignored. Output never exceeds one cluster, so hostile input cannot make
 * it grow.
 */
final class Compression {

    private final Path file;
    private final int type;
    private final int clusterSize;

    Compression(Path file, int type, int clusterSize) {
        this.file = file;
        this.type = type;
        this.clusterSize = clusterSize;
    }

    byte[] decompress(byte[] in, int length, long guestOffset) {
        byte[] out = new byte[clusterSize];
        int produced = type == Header.COMPRESSION_ZSTD ? zstd(in, length, out, guestOffset) : deflate(in, length, out, guestOffset);
        if (produced < clusterSize) {
            throw damaged(guestOffset, "decompresses to " + produced + " of " + clusterSize + " bytes");
        }
        return out;
    }

    private int deflate(byte[] in, int length, byte[] out, long guestOffset) {
        Inflater inflater = new Inflater(true);
        try {
            // Raw inflate may want one byte past the stream's end before it reports the last block.
            byte[] padded = java.util.Arrays.copyOf(in, length + 1);
            inflater.setInput(padded, 0, length + 1);
            int produced = 0;
            while (produced < out.length) {
                int n = inflater.inflate(out, produced, out.length - produced);
                if (n == 0 && (inflater.finished() || inflater.needsInput() || inflater.needsDictionary())) {
                    break;
                }
                produced += n;
            }
            return produced;
        } catch (DataFormatException e) {
            throw damaged(guestOffset, "deflate data is damaged: " + e.getMessage());
        } finally {
            inflater.end();
        }
    }

    private int zstd(byte[] in, int length, byte[] out, long guestOffset) {
        try (ZstdInputStreamNoFinalizer z = new ZstdInputStreamNoFinalizer(new ByteArrayInputStream(in, 0, length))) {
            // A frame may declare any window; one cluster (at most 2 MiB) never needs more than 8 MiB.
            z.setLongMax(23);
            int produced = 0;
            while (produced < out.length) {
                int n = z.read(out, produced, out.length - produced);
                if (n < 0) {
                    break;
                }
                produced += n;
            }
            return produced;
        } catch (IOException e) {
            throw damaged(guestOffset, "zstd data is damaged: " + e.getMessage());
        }
    }

    private BadImageException damaged(long guestOffset, String why) {
        return new BadImageException(file, "compressed cluster for guest offset 0x" + Long.toHexString(guestOffset)
                + " " + why);
    }
}
