package io.understudy.scheduler.records;

import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.SortedMap;

/**
 * Named records by kind ({@code moves}, {@code fences}, …), each a whole JSON document: a reader
 * finds a record as last written, or none. Failures to reach the store are
 * {@link java.io.UncheckedIOException}s naming where and why.
 */
public interface Records {

    /** The longest name a record may have (a key in a database index). */
    int MAX_NAME = 190;

    /**
     * Stores BODY as NAME among KIND unless such a record exists: the claim on NAME when several
     * processes may try at once.
     *
     * @return false when NAME was there already (nothing written)
     */
    boolean create(String kind, String name, byte[] body);

    /** Stores BODY as NAME among KIND, replacing the record there. */
    void put(String kind, String name, byte[] body);

    Optional<byte[]> get(String kind, String name);

    /** Every record of KIND, by name in name order. */
    SortedMap<String, byte[]> all(String kind);

    /**
     * The version of every record of KIND, by name: changed by every write of the record, and
     * what {@link #compareAndSet} compares. Never 0, which stands for no record.
     */
    SortedMap<String, Long> versions(String kind);

    /**
     * Stores BODY as NAME among KIND only if the record is still at VERSION (0: only if there is
     * none), in one transaction: the claim on NAME among controllers that may each have read it at
     * once, also through different nodes of a Galera cluster (where the loser's commit fails
     * certification). Losing is an answer, not an error.
     *
     * @return the record's new version; empty when it was no longer at VERSION, or another writer
     *     was claiming it at the same moment (nothing written)
     */
    default OptionalLong compareAndSet(String kind, String name, long version, byte[] body) {
        return compareAndSet(kind, name, version, body, List.of());
    }

    /**
     * {@link #compareAndSet(String, String, long, byte[])}, and with it the records WITH, replaced
     * in the same transaction: all are stored, or none. One durable write where there would be
     * several, each of which a move would wait for.
     *
     * @return the compared record's new version; empty when it was no longer at VERSION, or another
     *     writer was claiming it at the same moment (nothing written)
     */
    OptionalLong compareAndSet(String kind, String name, long version, byte[] body, List<Write> with);

    /** A record stored with a {@link #compareAndSet}: BODY as NAME among KIND, replacing the record there. */
    record Write(String kind, String name, byte[] body) {
        public Write {
            Objects.requireNonNull(kind, "kind is null");
            checkName(name);
            Objects.requireNonNull(body, "body is null");
        }
    }

    /** Forgets NAME among KIND; returns whether it was there. */
    boolean delete(String kind, String name);

    /** Where NAME among KIND is kept, for messages: a file, a table row. */
    String where(String kind, String name);

    /** NAME when it may name a record: a host or a VM, never a path. */
    static String checkName(String name) {
        if (name == null || name.isBlank() || name.length() > MAX_NAME || name.startsWith(".")
                || name.chars().anyMatch(c -> c == '/' || c == '\\' || c < 0x20)) {
            throw new IllegalArgumentException("'" + name + "' cannot name a record: a host or VM name of at most "
                    + MAX_NAME + " characters, without '/' or a leading '.'");
        }
        return name;
    }
}
