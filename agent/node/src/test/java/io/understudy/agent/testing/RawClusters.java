package io.understudy.agent.testing;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/** The oracle for divergence: two images' guest contents, as qemu-img reads them, compared cluster by cluster. */
public final class RawClusters {

    private RawClusters() {}

    /** Clusters of {@code clusterSize} bytes whose guest content differs between {@code a} and {@code b}. */
    public static long differing(Path a, Path b, int clusterSize) throws IOException {
        Path rawA = Files.createTempFile("understudy-raw-a", ".raw");
        Path rawB = Files.createTempFile("understudy-raw-b", ".raw");
        try {
            Qemu.img("convert", "-O", "raw", a.toString(), rawA.toString());
            Qemu.img("convert", "-O", "raw", b.toString(), rawB.toString());
            long n = 0;
            try (InputStream ia = Files.newInputStream(rawA); InputStream ib = Files.newInputStream(rawB)) {
                while (true) {
                    byte[] ca = ia.readNBytes(clusterSize);
                    byte[] cb = ib.readNBytes(clusterSize);
                    if (ca.length == 0 && cb.length == 0) {
                        return n;
                    }
                    n += Arrays.equals(ca, cb) ? 0 : 1;
                }
            }
        } finally {
            Files.deleteIfExists(rawA);
            Files.deleteIfExists(rawB);
        }
    }
}
