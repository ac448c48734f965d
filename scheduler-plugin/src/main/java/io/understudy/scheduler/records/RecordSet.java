package io.understudy.scheduler.records;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.JavaType;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.SortedMap;

/**
 * The records of one kind as values of one type, written as pretty JSON. A record that cannot be
 * read is reported, never skipped: it may be a move in flight.
 */
public final class RecordSet<T> {

    private final Records records;
    private final String kind;
    private final ObjectMapper json;
    private final JavaType type;

    public RecordSet(Records records, String kind, ObjectMapper json, Class<T> type) {
        this.records = requireNonNull(records, "records is null");
        this.kind = requireNonNull(kind, "kind is null");
        this.json = requireNonNull(json, "json is null");
        this.type = json.constructType(requireNonNull(type, "type is null"));
        // Jackson builds a type's serializer and deserializer on first use: at start, not in the
        // first move the controller journals, which would wait tens of milliseconds for them.
        json.canSerialize(type);
        json.canDeserialize(this.type);
    }

    /** Stores VALUE as NAME unless NAME exists; returns false when it does. */
    public boolean create(String name, T value) {
        return records.create(kind, name, bytes(name, value));
    }

    public void put(String name, T value) {
        records.put(kind, name, bytes(name, value));
    }

    public Optional<T> get(String name) {
        return records.get(kind, name).map(body -> value(name, body));
    }

    /** Every value, in name order. */
    public List<T> all() {
        List<T> values = new ArrayList<>();
        for (Map.Entry<String, byte[]> e : records.all(kind).entrySet()) {
            values.add(value(e.getKey(), e.getValue()));
        }
        return values;
    }

    /** The version of every value, by name ({@link Records#versions}). */
    public SortedMap<String, Long> versions() {
        return records.versions(kind);
    }

    /** Stores VALUE as NAME only if it is still at VERSION ({@link Records#compareAndSet}). */
    public OptionalLong compareAndSet(String name, long version, T value) {
        return records.compareAndSet(kind, name, version, bytes(name, value));
    }

    /**
     * Stores VALUE as NAME only if it is still at VERSION, and WITH in the same transaction
     * ({@link Records#compareAndSet(String, String, long, byte[], List)}).
     */
    public OptionalLong compareAndSet(String name, long version, T value, List<Records.Write> with) {
        return records.compareAndSet(kind, name, version, bytes(name, value), with);
    }

    /** VALUE as NAME, to be stored with another kind's compare-and-set. */
    public Records.Write write(String name, T value) {
        return new Records.Write(kind, name, bytes(name, value));
    }

    public boolean delete(String name) {
        return records.delete(kind, name);
    }

    /** Where NAME is kept, for messages. */
    public String where(String name) {
        return records.where(kind, name);
    }

    private byte[] bytes(String name, T value) {
        try {
            return json.writerWithDefaultPrettyPrinter().writeValueAsBytes(requireNonNull(value, "value is null"));
        } catch (IOException e) {
            throw new UncheckedIOException(where(name) + ": " + e.getMessage(), e);
        }
    }

    private T value(String name, byte[] body) {
        try {
            return json.readValue(body, type);
        } catch (IOException e) {
            throw new UncheckedIOException(where(name) + " cannot be read: " + e.getMessage(), e);
        }
    }
}
