package io.understudy.scheduler.evaluate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.understudy.scheduler.rules.RulesParser;
import io.understudy.scheduler.stats.Parameter;
import io.understudy.scheduler.testing.Samples;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** What a host's verdicts imply, computed once per host: quiet, in range, headroom as a target. */
class HostVerdictTest {

    private static final Instant T0 = Instant.parse("2026-11-29T06:00:00Z");

    private static HostVerdict judge(Samples host, String rules) {
        return new Evaluator().evaluate(List.of(host.build()), new RulesParser().parse(rules, "t.yaml"), Map.of(),
                Set.of(), T0, Breaches.NONE).hosts().values().iterator().next();
    }

    @Test
    void headroomIsTheMeanOverTheMinMaxRulesInRangeAndInRangeMeansNothingBreachedPendingOrMissing() {
        String rules = """
                rules:
                  - {parameter: cpu_percent, max: 80}
                  - {parameter: memory_free_mib, min: 1024, max: 9216}
                  - {parameter: service_up, equals: true}
                  - {parameter: load1, max: 8, appliesTo: {aggregate: none}}
                """;
        HostVerdict h = judge(Samples.host("a").set(Parameter.CPU_PERCENT, 20), rules);
        assertThat(h.inRange()).isTrue();
        assertThat(h.quiet()).isTrue();
        // cpu: (80 - 20) / 80 = 0.75; memory 8192 in 1024..9216: (9216 - 8192) / 4096 = 0.25.
        assertThat(h.headroom()).isEqualTo((0.75 + 0.25) / 2);

        HostVerdict missing = judge(Samples.host("b").without(Parameter.CPU_PERCENT), rules);
        assertThat(missing.inRange()).isFalse();
        assertThat(missing.quiet()).isTrue();
        assertThat(missing.headroom()).isEqualTo(0.25);

        HostVerdict breached = judge(Samples.host("c").set(Parameter.CPU_PERCENT, 95),
                "rules: [{parameter: cpu_percent, max: 80}]");
        assertThat(breached.inRange()).isFalse();
        assertThat(breached.headroom()).as("no min/max rule in range").isEqualTo(1);
    }

    @Test
    void figuresThatDoNotFollowFromTheVerdictsAreRefused() {
        HostVerdict h = judge(Samples.host("a"), "rules: [{parameter: cpu_percent, max: 80}]");
        assertThatThrownBy(() -> new HostVerdict("a", h.sample(), false, h.verdicts(), true, false, h.headroom()))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new HostVerdict("a", h.sample(), false, h.verdicts(), true, true, 0.5))
                .isInstanceOf(IllegalArgumentException.class);
        assertThat(new HostVerdict("a", h.sample(), false, h.verdicts(), true, true, h.headroom())).isEqualTo(h);
    }
}
