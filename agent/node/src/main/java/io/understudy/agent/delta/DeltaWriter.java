package io.understudy.agent.delta;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.util.UUID;

/** Writes a delta stream ({@link DeltaFormat}); zero runs that touch are folded into one record. */
public final class DeltaWriter {

    private final OutputStream out;
    private final DeltaHeader header;
    private final MessageDigest stream = DeltaFormat.sha256();
    private final MessageDigest payload = DeltaFormat.sha256();
    private final ByteBuffer scratch = ByteBuffer.allocate(64);
    private byte[] copy = new byte[0];
    private long lastCluster = -1;
    private long zeroFirst = -1;
    private long zeroCount;
    private long dataRecords;
    private long zeroClusters;
    private long payloadBytes;
    private long bytes;

    public DeltaWriter(OutputStream out, DeltaHeader header) throws IOException {
        this.out = out;
        this.header = header;
        ByteBuffer h = ByteBuffer.allocate(DeltaFormat.HEADER_BYTES);
        h.put(DeltaFormat.MAGIC);
        h.putShort((short) DeltaFormat.VERSION);
        int flags = (header.seed() ? DeltaFormat.FLAG_SEED : 0)
                | (header.baseManifest().isPresent() ? DeltaFormat.FLAG_BASE_NAMED : 0);
        h.putShort((short) flags);
        h.putInt(header.clusterSize());
        h.putLong(header.newSize());
        h.putLong(header.baseSize());
        h.put(header.baseManifest().orElse(new byte[DeltaFormat.HASH_BYTES]));
        UUID vm = header.vm().orElse(new UUID(0, 0));
        h.putLong(vm.getMostSignificantBits());
        h.putLong(vm.getLeastSignificantBits());
        h.putLong(header.fromVersion());
        h.putLong(header.toVersion());
        h.putLong(header.capturedAtMillis());
        emit(h);
    }

    public DeltaHeader header() {
        return header;
    }

    /** Cluster {@code cluster} now holds {@code data} (exactly {@link DeltaHeader#clusterLength} bytes). */
    public void data(long cluster, ByteBuffer data) throws IOException {
        payload.update(data.duplicate());
        data(cluster, data, payload.digest());
    }

    /**
     * The same, with the SHA-256 of {@code data} the caller computed already (a capture hashes
     * every cluster to compare it with its manifest; hashing twice would halve its speed).
     */
    public void data(long cluster, ByteBuffer data, byte[] hash) throws IOException {
        order(cluster);
        flushZeros();
        int length = data.remaining();
        if (length != header.clusterLength(cluster)) {
            throw new IllegalArgumentException("cluster " + cluster + " carries " + length + " bytes, expected "
                    + header.clusterLength(cluster));
        }
        scratch.clear();
        scratch.put(DeltaFormat.TAG_DATA).putLong(cluster).putInt(length).put(hash);
        emit(scratch);
        if (data.hasArray()) {
            out.write(data.array(), data.arrayOffset() + data.position(), length);
        } else {
            if (copy.length < length) {
                copy = new byte[length];
            }
            data.duplicate().get(copy, 0, length);
            out.write(copy, 0, length);
        }
        bytes += length;
        dataRecords++;
        payloadBytes += length;
    }

    /** Cluster {@code cluster} now reads as zeros. */
    public void zero(long cluster) throws IOException {
        order(cluster);
        if (zeroFirst >= 0 && zeroFirst + zeroCount == cluster) {
            zeroCount++;
        } else {
            flushZeros();
            zeroFirst = cluster;
            zeroCount = 1;
        }
        zeroClusters++;
    }

    /** Ends the stream; {@code clustersExamined} is how many clusters of NEW the maker looked at. */
    public DeltaStats finish(long clustersExamined) throws IOException {
        flushZeros();
        scratch.clear();
        scratch.put(DeltaFormat.TAG_END).putLong(clustersExamined).putLong(dataRecords).putLong(zeroClusters)
                .putLong(payloadBytes);
        emit(scratch);
        out.write(stream.digest());
        bytes += DeltaFormat.HASH_BYTES;
        out.flush();
        return new DeltaStats(clustersExamined, dataRecords, zeroClusters, payloadBytes, bytes, 0);
    }

    private void order(long cluster) {
        if (cluster <= lastCluster || cluster >= header.clusterCount()) {
            throw new IllegalArgumentException("cluster " + cluster + " out of order or past the disk's "
                    + header.clusterCount() + " clusters");
        }
        lastCluster = cluster;
    }

    private void flushZeros() throws IOException {
        if (zeroFirst < 0) {
            return;
        }
        scratch.clear();
        scratch.put(DeltaFormat.TAG_ZEROS).putLong(zeroFirst).putLong(zeroCount);
        emit(scratch);
        zeroFirst = -1;
        zeroCount = 0;
    }

    private void emit(ByteBuffer b) throws IOException {
        b.flip();
        stream.update(b.array(), 0, b.limit());
        out.write(b.array(), 0, b.limit());
        bytes += b.limit();
    }
}
