package io.understudy.scheduler.decide;

import static java.util.Objects.requireNonNull;

import io.understudy.scheduler.evaluate.RuleVerdict;
import io.understudy.scheduler.rules.MoveAction;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * One protected VM's decision in one round.
 *
 * @param action how it would move: live-migrate (primary alive) or evacuate (primary down)
 * @param hard the primary's host failed: no for:, no cooldown
 * @param reasons why, in words an operator reads in the log and in history
 * @param primaryVerdicts the primary's verdicts under the rules that apply to this VM
 * @param candidates every secondary considered, best first; empty when the VM stays
 */
public record Decision(UUID vm, String vmName, String primary, Outcome outcome, Optional<MoveAction> action,
        Optional<String> target, boolean hard, List<String> reasons, List<RuleVerdict> primaryVerdicts,
        List<Candidate> candidates) {

    public Decision {
        requireNonNull(vm, "vm is null");
        requireNonNull(vmName, "vmName is null");
        requireNonNull(primary, "primary is null");
        requireNonNull(outcome, "outcome is null");
        requireNonNull(action, "action is null");
        requireNonNull(target, "target is null");
        reasons = List.copyOf(reasons);
        primaryVerdicts = List.copyOf(primaryVerdicts);
        candidates = List.copyOf(candidates);
        if ((outcome == Outcome.MOVE) != target.isPresent()) {
            throw new IllegalArgumentException("a MOVE and only a MOVE has a target");
        }
    }

    /** The operator's log line: VM, hosts and reason. */
    public String logLine() {
        return "vm " + vm + " (" + vmName + ") on " + primary + ": " + outcome
                + action.map(a -> " " + a.key()).orElse("") + target.map(t -> " to " + t).orElse("")
                + (hard ? " [host failed]" : "") + (reasons.isEmpty() ? "" : ": " + String.join("; ", reasons));
    }
}
