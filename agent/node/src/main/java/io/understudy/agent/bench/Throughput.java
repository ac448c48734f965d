package io.understudy.agent.bench;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.SplittableRandom;

/**
 * Component hashing on one core beside the bound it cannot beat: SHA-256 (the JDK's, as the delta
 * code uses it) over every cluster of a buffer far larger than the caches, one digest per cluster
 * as a delta record needs, against copying each of the same clusters into a cluster buffer, which
 * is what reading them from memory costs at the least. Time is this thread's CPU time: "per core"
 * stays per core when other work shares the machine's cores.
 */
final class Throughput {

    /** Gigabytes (10^9 bytes) per second. */
    record Result(double sha256GBps, double memoryGBps) {}

    private static final int BUFFER = 256 << 20;
    private static final double MIN_SECONDS = 1.0;
    private static final int WARM_UP_PASSES = 2;

    private Throughput() {}

    static Result measure(int clusterSize) {
        byte[] memory = new byte[BUFFER];
        new SplittableRandom(Workload.SEED).nextBytes(memory);
        MessageDigest sha256;
        try {
            sha256 = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime has SHA-256", e);
        }
        byte[] cluster = new byte[clusterSize];
        Pass hash = () -> {
            int sink = 0;
            for (int off = 0; off + clusterSize <= memory.length; off += clusterSize) {
                sha256.update(memory, off, clusterSize);
                sink ^= sha256.digest()[0];
            }
            return sink;
        };
        Pass copy = () -> {
            int sink = 0;
            for (int off = 0; off + clusterSize <= memory.length; off += clusterSize) {
                System.arraycopy(memory, off, cluster, 0, clusterSize);
                sink ^= cluster[off & (clusterSize - 1)];
            }
            return sink;
        };
        return new Result(gbps(hash, memory.length), gbps(copy, memory.length));
    }

    /** One sweep over the buffer; its result is consumed so the JIT cannot drop the work. */
    private interface Pass {
        int run();
    }

    private static volatile int blackhole;

    /** Warm-up passes first (the SHA-256 intrinsic is only used once the JIT compiled the loop). */
    private static double gbps(Pass pass, long bytesPerPass) {
        for (int i = 0; i < WARM_UP_PASSES; i++) {
            blackhole ^= pass.run();
        }
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        long bytes = 0;
        long start = threads.getCurrentThreadCpuTime();
        long elapsed;
        do {
            blackhole ^= pass.run();
            bytes += bytesPerPass;
            elapsed = threads.getCurrentThreadCpuTime() - start;
        } while (elapsed < MIN_SECONDS * 1e9);
        return bytes / (double) elapsed;
    }
}
