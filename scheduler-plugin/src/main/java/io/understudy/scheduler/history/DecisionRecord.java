package io.understudy.scheduler.history;

import io.understudy.scheduler.decide.Decision;
import io.understudy.scheduler.evaluate.Verdict;
import io.understudy.scheduler.rules.MoveAction;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * A decision as history keeps it: plain words, so that it reads back whatever the rules are later.
 *
 * @param verdicts the primary's verdict under each rule that applies to the VM
 */
public record DecisionRecord(UUID vm, String name, String primary, String outcome, Optional<String> action,
        Optional<String> target, boolean hard, List<String> reasons, List<String> verdicts,
        List<CandidateRecord> candidates) {

    public DecisionRecord {
        action = action == null ? Optional.empty() : action;
        target = target == null ? Optional.empty() : target;
        reasons = reasons == null ? List.of() : List.copyOf(reasons);
        verdicts = verdicts == null ? List.of() : List.copyOf(verdicts);
        candidates = candidates == null ? List.of() : List.copyOf(candidates);
    }

    public static DecisionRecord of(Decision d) {
        return new DecisionRecord(d.vm(), d.vmName(), d.primary(), d.outcome().name(), d.action().map(MoveAction::key),
                d.target(), d.hard(), d.reasons(),
                d.primaryVerdicts().stream().filter(v -> v.verdict() != Verdict.NOT_APPLICABLE)
                        .map(v -> v.rule().name() + " " + v.verdict() + ": " + v.show()).toList(),
                d.candidates().stream().map(CandidateRecord::of).toList());
    }
}
