package io.understudy.scheduler.cloudit;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.UUID;

/**
 * A seed delta of an all-zero disk, in the agent's wire format (agent/node's DeltaFormat,
 * version 1; the manifest hash as its Manifest makes it): what a primary's first round would
 * send for an empty disk. The cloud's computes
 * run Nova's fake driver, with no guest whose disk an agent could capture, so the tests give
 * each secondary its replica this way, over the agent's own API.
 */
final class SeedDelta {

    private static final int CLUSTER = 64 * 1024;

    private SeedDelta() {
    }

    static byte[] zeros(UUID vm, long size, long capturedAtMillis) {
        long clusters = (size + CLUSTER - 1) / CLUSTER;
        // The base a seed applies to is an empty disk of its size: its manifest hash covers no cluster.
        byte[] emptyBase = sha256(ByteBuffer.allocate(8 + 12).put("USMANIF1".getBytes(StandardCharsets.US_ASCII))
                .putInt(CLUSTER).putLong(size).array(), 20);
        ByteBuffer b = ByteBuffer.allocate(104 + 17 + 33 + 32);
        b.put("USDELTA\n".getBytes(StandardCharsets.US_ASCII)).putShort((short) 1)
                .putShort((short) 3).putInt(CLUSTER).putLong(size).putLong(size).put(emptyBase)
                .putLong(vm.getMostSignificantBits()).putLong(vm.getLeastSignificantBits())
                .putLong(0).putLong(1).putLong(capturedAtMillis);
        b.put((byte) 'Z').putLong(0).putLong(clusters);
        b.put((byte) 'E').putLong(clusters).putLong(0).putLong(clusters).putLong(0);
        b.put(sha256(b.array(), b.position()));
        return b.array();
    }

    private static byte[] sha256(byte[] bytes, int length) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            sha.update(bytes, 0, length);
            return sha.digest();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime has SHA-256", e);
        }
    }
}
