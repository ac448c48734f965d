package io.understudy.scheduler.rules;

import static java.util.Objects.requireNonNull;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;

/**
 * A parsed rules file, and the operator's choices of single VMs beside it.
 *
 * @param source the file it came from
 * @param protect a VM is protected when any of these selects it
 * @param chosen VMs an operator protected (true) or unprotected (false) through the API: the
 *     choice outweighs the selectors
 */
public record Rules(String source, Policy policy, List<VmSelector> protect, List<Rule> rules,
        Map<UUID, Boolean> chosen) {

    public Rules {
        requireNonNull(source, "source is null");
        requireNonNull(policy, "policy is null");
        protect = List.copyOf(protect);
        rules = List.copyOf(rules);
        chosen = Map.copyOf(chosen);
        Set<String> names = rules.stream().map(Rule::name).collect(Collectors.toSet());
        if (names.size() != rules.size()) {
            throw new IllegalArgumentException("rule names must be unique");
        }
    }

    /** A rules file's rules, with no operator's choice beside them. */
    public Rules(String source, Policy policy, List<VmSelector> protect, List<Rule> rules) {
        this(source, policy, protect, rules, Map.of());
    }

    /** These rules with CHOSEN as the operator's choices in place of any before. */
    public Rules withChoices(Map<UUID, Boolean> chosen) {
        return chosen.equals(this.chosen) ? this : new Rules(source, policy, protect, rules, chosen);
    }

    /** No rules, the default policy: what a controller without a rules file judges by (everything in range). */
    public static Rules none() {
        return new Rules("(no rules)", Policy.DEFAULT, List.of(VmSelector.PROTECT_BY_EXTRA_SPEC), List.of());
    }

    public boolean isProtected(UUID vm, Map<String, String> metadata, String flavor,
            Map<String, String> flavorExtraSpecs) {
        Boolean choice = chosen.get(vm);
        if (choice != null) {
            return choice;
        }
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
