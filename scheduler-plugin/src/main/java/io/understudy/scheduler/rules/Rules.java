package io.understudy.scheduler.rules;

import static java.util.Objects.requireNonNull;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * A parsed rules file.
 *
 * @param source the file it came from
 * @param protect a VM is protected when any of these selects it
 */
public record Rules(String source, Policy policy, List<VmSelector> protect, List<Rule> rules) {

    public Rules {
        requireNonNull(source, "source is null");
        requireNonNull(policy, "policy is null");
        protect = List.copyOf(protect);
        rules = List.copyOf(rules);
        Set<String> names = rules.stream().map(Rule::name).collect(Collectors.toSet());
        if (names.size() != rules.size()) {
            throw new IllegalArgumentException("rule names must be unique");
        }
    }

    /** No rules, the default policy: what a controller without a rules file judges by (everything in range). */
    public static Rules none() {
        return new Rules("(no rules)", Policy.DEFAULT, List.of(VmSelector.PROTECT_BY_EXTRA_SPEC), List.of());
    }

    public boolean isProtected(Map<String, String> metadata, String flavor, Map<String, String> flavorExtraSpecs) {
        for (VmSelector s : protect) {
            if (s.matches(metadata, flavor, flavorExtraSpecs)) {
                return true;
            }
        }
        return false;
    }

    /** The aggregates the rules name: only then is Nova's aggregate list read. */
    public Set<String> aggregates() {
        return rules.stream().map(Rule::scope).filter(Scope.Aggregate.class::isInstance)
                .map(s -> ((Scope.Aggregate) s).name()).collect(Collectors.toUnmodifiableSet());
    }
}
