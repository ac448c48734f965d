package io.understudy.scheduler.rules;

import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Picks VMs: every listed metadata key must have the listed value, and when flavors are listed
 * the VM's flavor must be one of them. An empty selector would pick every VM and is refused.
 *
 * <p>A class rather than a record: {@link #matches} runs for every server of every round, and
 * iterating an immutable map allocates an entry set, an iterator and an entry each time, so the
 * keys and values are kept in arrays as well.
 */
public final class VmSelector {

    /** The default: servers whose metadata says {@code understudy:protect=true}. */
    public static final VmSelector PROTECT_BY_METADATA = new VmSelector(Map.of("understudy:protect", "true"), Set.of());

    private final Map<String, String> metadata;
    private final Set<String> flavors;
    private final String[] keys;
    private final String[] values;

    public VmSelector(Map<String, String> metadata, Set<String> flavors) {
        this.metadata = Map.copyOf(metadata);
        this.flavors = Set.copyOf(flavors);
        if (this.metadata.isEmpty() && this.flavors.isEmpty()) {
            throw new IllegalArgumentException("a VM selector needs metadata, flavors or both");
        }
        keys = this.metadata.keySet().toArray(String[]::new);
        values = new String[keys.length];
        for (int i = 0; i < keys.length; i++) {
            values[i] = this.metadata.get(keys[i]);
        }
    }

    public Map<String, String> metadata() {
        return metadata;
    }

    public Set<String> flavors() {
        return flavors;
    }

    public boolean matches(Map<String, String> vmMetadata, String flavor) {
        for (int i = 0; i < keys.length; i++) {
            if (!values[i].equals(vmMetadata.get(keys[i]))) {
                return false;
            }
        }
        return flavors.isEmpty() || flavors.contains(flavor);
    }

    public String show() {
        StringBuilder b = new StringBuilder();
        metadata.entrySet().stream().sorted(Map.Entry.comparingByKey())
                .forEach(e -> b.append(b.length() == 0 ? "" : " ").append(e.getKey()).append('=').append(e.getValue()));
        if (!flavors.isEmpty()) {
            b.append(b.length() == 0 ? "" : " ").append("flavor in ").append(flavors.stream().sorted().toList());
        }
        return b.toString();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof VmSelector other && metadata.equals(other.metadata) && flavors.equals(other.flavors);
    }

    @Override
    public int hashCode() {
        return Objects.hash(metadata, flavors);
    }

    @Override
    public String toString() {
        return "VmSelector[metadata=" + metadata + ", flavors=" + flavors + "]";
    }
}
