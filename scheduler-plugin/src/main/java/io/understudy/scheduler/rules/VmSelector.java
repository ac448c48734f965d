package io.understudy.scheduler.rules;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Picks VMs: every listed key of the server's metadata and of its flavor's extra specs must have
 * the listed value, and when flavors are listed the VM's flavor must be one of them. An empty
 * selector would pick every VM and is refused.
 *
 * <p>Flavors and their extra specs are the operator's: only an admin makes them. Server metadata
 * is the tenant's: any member of the server's project may set it. So the default protects by an
 * extra spec, and a selector on metadata is how an operator lets tenants opt in.
 *
 * <p>A class rather than a record: {@link #matches} runs for every server of every round, and
 * iterating an immutable map allocates an entry set, an iterator and an entry each time, so the
 * keys and values are kept in arrays as well.
 */
public final class VmSelector {

    /** The key an operator sets on a flavor ({@code openstack flavor set --property understudy:protect=true}). */
    public static final String PROTECT_KEY = "understudy:protect";

    /** The default: servers whose flavor has the extra spec {@code understudy:protect=true}. */
    public static final VmSelector PROTECT_BY_EXTRA_SPEC = new VmSelector(Map.of(), Set.of(), Map.of(PROTECT_KEY, "true"));

    private final Map<String, String> metadata;
    private final Set<String> flavors;
    private final Map<String, String> extraSpecs;
    private final String[] metadataKeys;
    private final String[] metadataValues;
    private final String[] specKeys;
    private final String[] specValues;

    public VmSelector(Map<String, String> metadata, Set<String> flavors, Map<String, String> extraSpecs) {
        this.metadata = Map.copyOf(metadata);
        this.flavors = Set.copyOf(flavors);
        this.extraSpecs = Map.copyOf(extraSpecs);
        if (this.metadata.isEmpty() && this.flavors.isEmpty() && this.extraSpecs.isEmpty()) {
            throw new IllegalArgumentException("a VM selector needs metadata, flavors or extra specs");
        }
        metadataKeys = this.metadata.keySet().toArray(String[]::new);
        metadataValues = valuesOf(this.metadata, metadataKeys);
        specKeys = this.extraSpecs.keySet().toArray(String[]::new);
        specValues = valuesOf(this.extraSpecs, specKeys);
    }

    private static String[] valuesOf(Map<String, String> map, String[] keys) {
        String[] values = new String[keys.length];
        for (int i = 0; i < keys.length; i++) {
            values[i] = map.get(keys[i]);
        }
        return values;
    }

    public Map<String, String> metadata() {
        return metadata;
    }

    public Set<String> flavors() {
        return flavors;
    }

    public Map<String, String> extraSpecs() {
        return extraSpecs;
    }

    /** Whether a tenant can make a VM match: this selector looks at server metadata. */
    public boolean tenantsOptIn() {
        return !metadata.isEmpty();
    }

    public boolean matches(Map<String, String> vmMetadata, String flavor, Map<String, String> flavorExtraSpecs) {
        return all(metadataKeys, metadataValues, vmMetadata) && all(specKeys, specValues, flavorExtraSpecs)
                && (flavors.isEmpty() || flavors.contains(flavor));
    }

    private static boolean all(String[] keys, String[] values, Map<String, String> actual) {
        for (int i = 0; i < keys.length; i++) {
            if (!values[i].equals(actual.get(keys[i]))) {
                return false;
            }
        }
        return true;
    }

    public String show() {
        List<String> parts = new ArrayList<>();
        metadata.entrySet().stream().sorted(Map.Entry.comparingByKey())
                .forEach(e -> parts.add("metadata " + e.getKey() + "=" + e.getValue()));
        extraSpecs.entrySet().stream().sorted(Map.Entry.comparingByKey())
                .forEach(e -> parts.add("flavor extra spec " + e.getKey() + "=" + e.getValue()));
        if (!flavors.isEmpty()) {
            parts.add("flavor in " + flavors.stream().sorted().toList());
        }
        return String.join(" ", parts);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof VmSelector other && metadata.equals(other.metadata) && flavors.equals(other.flavors)
                && extraSpecs.equals(other.extraSpecs);
    }

    @Override
    public int hashCode() {
        return Objects.hash(metadata, flavors, extraSpecs);
    }

    @Override
    public String toString() {
        return "VmSelector[metadata=" + metadata + ", flavors=" + flavors + ", extraSpecs=" + extraSpecs + "]";
    }
}
