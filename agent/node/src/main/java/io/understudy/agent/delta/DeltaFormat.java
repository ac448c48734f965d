package io.understudy.agent.delta;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * The delta stream, version 1 (all integers big-endian):
 *
 * <pre>
 * header   magic "USDELTA\n", u16 version, u16 flags (1 seed, 2 base named),
 *          u32 cluster size, u64 new size, u64 base size, 32 bytes base manifest hash,
 *          16 bytes VM UUID (zeros: none), u64 from version, u64 to version,
 *          u64 capture time (ms since the epoch; 0: unknown)
 * records  'D' u64 cluster, u32 length, 32 bytes SHA-256 of the payload, payload
 *          'Z' u64 first cluster, u64 count           (reads as zeros: no payload)
 * trailer  'E' u64 clusters examined, u64 data records, u64 zero clusters, u64 payload bytes,
 *          32 bytes SHA-256 of every byte before it except the payloads
 * </pre>
 *
 * Each payload is bound to the stream hash through its own hash, so the whole is hashed once and
 * a damaged, reordered, truncated or extended stream is rejected; records come in strictly
 * ascending cluster order, which a reader checks, so a layer can be written as they arrive.
 */
final class DeltaFormat {

    static final byte[] MAGIC = {'U', 'S', 'D', 'E', 'L', 'T', 'A', '\n'};
    static final int VERSION = 1;
    static final int FLAG_SEED = 1;
    static final int FLAG_BASE_NAMED = 2;
    static final int HEADER_BYTES = 8 + 2 + 2 + 4 + 8 + 8 + 32 + 16 + 8 + 8 + 8;
    static final byte TAG_DATA = 'D';
    static final byte TAG_ZEROS = 'Z';
    static final byte TAG_END = 'E';
    static final int HASH_BYTES = 32;

    private DeltaFormat() {}

    static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime has SHA-256", e);
        }
    }
}
