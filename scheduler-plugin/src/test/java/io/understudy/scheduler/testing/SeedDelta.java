package io.understudy.scheduler.testing;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.UUID;

/**
 * Deltas in the agent's wire format (agent/node's DeltaFormat, version 1; the manifest hash as
 * its Manifest makes it), as a primary's rounds would send them. The cloud's computes run Nova's
 * fake driver, with no guest whose disk an agent could capture, so the tests give each secondary
 * its replica this way, over the agent's own API: a seed of an empty disk, or the clusters that
 * changed between two versions of a disk's guest content.
 */
public final class SeedDelta {

    public static final int CLUSTER = 64 * 1024;
    private static final int FLAG_SEED = 1;
    private static final int FLAG_BASE_NAMED = 2;

    private SeedDelta() {
    }

    public static byte[] zeros(UUID vm, long size, long capturedAtMillis) {
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

    /**
     * The delta from version FROM_VERSION, whose guest content is FROM, to TO_VERSION holding TO
     * (raw guest bytes, a whole number of clusters): the clusters that differ, as data or as
     * zeros. From version 0 it is a seed, FROM then all zeros (an empty disk).
     */
    public static byte[] between(UUID vm, byte[] from, byte[] to, long fromVersion, long toVersion, long capturedAtMillis) {
        if (from.length != to.length || to.length % CLUSTER != 0) {
            throw new IllegalArgumentException("two disks of one size in whole clusters, not " + from.length + " and "
                    + to.length);
        }
        MessageDigest stream = digest();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int flags = (fromVersion == 0 ? FLAG_SEED : 0) | FLAG_BASE_NAMED;
        emit(stream, out, ByteBuffer.allocate(104).put("USDELTA\n".getBytes(StandardCharsets.US_ASCII))
                .putShort((short) 1).putShort((short) flags).putInt(CLUSTER).putLong(to.length).putLong(from.length)
                .put(manifest(from)).putLong(vm.getMostSignificantBits()).putLong(vm.getLeastSignificantBits())
                .putLong(fromVersion).putLong(toVersion).putLong(capturedAtMillis));
        long clusters = to.length / CLUSTER;
        long dataRecords = 0;
        long zeroClusters = 0;
        for (int c = 0; c < clusters; c++) {
            byte[] was = cluster(from, c);
            byte[] now = cluster(to, c);
            if (Arrays.equals(was, now)) {
                continue;
            }
            if (isZero(now)) {
                // One record per cluster: the agent reads runs of any length, one is a run too.
                emit(stream, out, ByteBuffer.allocate(17).put((byte) 'Z').putLong(c).putLong(1));
                zeroClusters++;
            } else {
                emit(stream, out, ByteBuffer.allocate(45).put((byte) 'D').putLong(c).putInt(CLUSTER)
                        .put(digest().digest(now)));
                // A data record's payload is covered by its own hash, not by the stream's.
                out.writeBytes(now);
                dataRecords++;
            }
        }
        emit(stream, out, ByteBuffer.allocate(33).put((byte) 'E').putLong(clusters).putLong(dataRecords)
                .putLong(zeroClusters).putLong(dataRecords * CLUSTER));
        out.writeBytes(stream.digest());
        return out.toByteArray();
    }

    /** The manifest hash of DISK's guest content: every non-zero cluster's index and hash, in order. */
    private static byte[] manifest(byte[] disk) {
        MessageDigest m = digest();
        m.update(ByteBuffer.allocate(20).put("USMANIF1".getBytes(StandardCharsets.US_ASCII)).putInt(CLUSTER)
                .putLong(disk.length).array());
        for (int c = 0; c < disk.length / CLUSTER; c++) {
            byte[] bytes = cluster(disk, c);
            if (!isZero(bytes)) {
                m.update(ByteBuffer.allocate(8).putLong(c).array());
                m.update(digest().digest(bytes));
            }
        }
        return m.digest();
    }

    private static void emit(MessageDigest stream, ByteArrayOutputStream out, ByteBuffer record) {
        stream.update(record.array(), 0, record.position());
        out.write(record.array(), 0, record.position());
    }

    private static byte[] cluster(byte[] disk, int index) {
        return Arrays.copyOfRange(disk, index * CLUSTER, (index + 1) * CLUSTER);
    }

    private static boolean isZero(byte[] bytes) {
        for (byte b : bytes) {
            if (b != 0) {
                return false;
            }
        }
        return true;
    }

    private static byte[] sha256(byte[] bytes, int length) {
        MessageDigest sha = digest();
        sha.update(bytes, 0, length);
        return sha.digest();
    }

    private static MessageDigest digest() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime has SHA-256", e);
        }
    }
}
