package io.understudy.agent.delta;

import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * The next version's manifest, merged from the previous one and a delta as its records stream
 * by (both are in ascending cluster order): a data record replaces the cluster's hash, a zero run
 * removes the clusters it covers, everything else is carried over.
 */
public final class ManifestUpdate implements DeltaReader.Sink {

    private final ManifestFile.Reader old;
    private final ManifestFile.Writer next;
    private final long clusterCount;

    /** {@code old} positioned before its first entry; {@code next} empty, for the delta's new size. */
    public ManifestUpdate(ManifestFile.Reader old, ManifestFile.Writer next, DeltaHeader header) throws IOException {
        this.old = old;
        this.next = next;
        this.clusterCount = header.clusterCount();
        old.next();
    }

    @Override
    public void data(long cluster, ByteBuffer payload, byte[] sha256) throws IOException {
        copyBelow(cluster);
        if (old.cluster() == cluster) {
            old.next();
        }
        next.add(cluster, sha256);
    }

    @Override
    public void zeros(long first, long count) throws IOException {
        copyBelow(first);
        while (old.cluster() < first + count) {
            old.next();
        }
    }

    /** Carries over what is left (inside the new size) and returns the new manifest hash. */
    public byte[] finish() throws IOException {
        copyBelow(clusterCount);
        return next.finish();
    }

    private void copyBelow(long cluster) throws IOException {
        while (old.cluster() < cluster) {
            next.add(old.cluster(), old.hash());
            old.next();
        }
    }
}
