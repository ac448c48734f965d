package io.understudy.scheduler.bench;

import io.understudy.scheduler.evaluate.Breaches;
import io.understudy.scheduler.evaluate.Evaluator;
import io.understudy.scheduler.evaluate.Verdict;
import io.understudy.scheduler.rules.Rule;
import io.understudy.scheduler.rules.Rules;
import io.understudy.scheduler.stats.HostSample;
import io.understudy.scheduler.stats.ProtectedVm;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The baseline: every VM re-evaluates every host — all rules on every host, to find its primary's
 * breaches and judge the hosts that hold its replicas — sharing nothing between VMs. Returns the
 * number of VMs it would move, so that the work cannot be optimised away.
 */
final class NaiveRound {

    private NaiveRound() {
    }

    static int run(List<ProtectedVm> vms, List<HostSample> hosts, Rules rules, Instant now, Breaches breaches) {
        int moves = 0;
        double maxLag = rules.policy().maxReplicaLag().toMillis() / 1000.0;
        for (ProtectedVm vm : vms) {
            boolean primaryOut = false;
            String best = null;
            double bestScore = -1;
            for (HostSample host : hosts) {
                boolean allIn = true;
                boolean anyOut = false;
                for (Rule rule : rules.rules()) {
                    Verdict v = Evaluator.judge(host, rule, Map.<String, Set<String>>of(), now, breaches).verdict();
                    allIn &= v == Verdict.IN_RANGE;
                    anyOut |= v == Verdict.OUT_OF_RANGE;
                }
                if (host.host().equals(vm.primary())) {
                    primaryOut = anyOut;
                }
                Double lag = host.replicaLagSeconds().get(vm.id());
                if (lag != null && allIn && lag <= maxLag) {
                    double score = 1 - lag / maxLag;
                    if (score > bestScore || score == bestScore && host.host().compareTo(best) < 0) {
                        best = host.host();
                        bestScore = score;
                    }
                }
            }
            if (primaryOut && best != null) {
                moves++;
            }
        }
        return moves;
    }
}
