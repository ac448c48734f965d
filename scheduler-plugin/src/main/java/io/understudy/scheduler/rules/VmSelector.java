package io.understudy.scheduler.rules;

import java.util.Map;
import java.util.Set;

/**
 * Picks VMs: every listed metadata key must have the listed value, and when flavors are listed
 * the VM's flavor must be one of them. An empty selector would pick every VM and is refused.
 */
public record VmSelector(Map<String, String> metadata, Set<String> flavors) {

    public VmSelector {
        metadata = Map.copyOf(metadata);
        flavors = Set.copyOf(flavors);
        if (metadata.isEmpty() && flavors.isEmpty()) {
            throw new IllegalArgumentException("a VM selector needs metadata, flavors or both");
        }
    }

    /** The default: servers whose metadata says {@code understudy:protect=true}. */
    public static final VmSelector PROTECT_BY_METADATA = new VmSelector(Map.of("understudy:protect", "true"), Set.of());

    public boolean matches(Map<String, String> vmMetadata, String flavor) {
        // Called for every protected VM of every round: no iterator, no entry objects.
        if (metadata.size() == 1) {
            String key = metadata.keySet().iterator().next();
            if (!metadata.get(key).equals(vmMetadata.get(key))) {
                return false;
            }
        } else {
            for (Map.Entry<String, String> e : metadata.entrySet()) {
                if (!e.getValue().equals(vmMetadata.get(e.getKey()))) {
                    return false;
                }
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
}
