package io.understudy.agent.libvirt;

import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * Receives a disk's captured clusters in ascending order: each changed cluster with its bytes,
 * and runs known to read as zeros without being read (a full round's unallocated space).
 */
public interface ClusterSink {

    /**
     * Guest cluster {@code cluster} holds {@code bytes} (a whole cluster, shorter only at the end
     * of the disk). The buffer is reused once this returns.
     */
    void data(long cluster, ByteBuffer bytes) throws IOException;

    /** Clusters {@code [first, first + count)} read as zeros. */
    void zeros(long first, long count) throws IOException;
}
