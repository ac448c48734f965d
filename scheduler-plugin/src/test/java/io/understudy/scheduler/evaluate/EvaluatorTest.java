package io.understudy.scheduler.evaluate;

import static org.assertj.core.api.Assertions.assertThat;

import io.understudy.scheduler.rules.Rules;
import io.understudy.scheduler.rules.RulesParser;
import io.understudy.scheduler.stats.HostSample;
import io.understudy.scheduler.stats.Parameter;
import io.understudy.scheduler.testing.Samples;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class EvaluatorTest {

    private static final Instant T0 = Instant.parse("2026-11-29T06:00:00Z");
    private final Evaluator evaluator = new Evaluator();

    private static Rules rules(String yaml) {
        return new RulesParser().parse(yaml, "test.yaml");
    }

    private Evaluation once(Rules rules, HostSample sample, Instant now, Breaches previous) {
        return evaluator.evaluate(List.of(sample), rules, Map.of("ssd", Set.of("in-ssd")), Set.of(), now, previous);
    }

    private Verdict verdict(Evaluation e, String host) {
        return e.host(host).orElseThrow().verdicts().get(0).verdict();
    }

    @ParameterizedTest(name = "cpu {0} against max 90 → {1}")
    @CsvSource({"89.99, IN_RANGE", "90, IN_RANGE", "90.01, OUT_OF_RANGE", "100, OUT_OF_RANGE", "0, IN_RANGE"})
    void boundariesWithoutForCountAtOnce(double cpu, Verdict expected) {
        Rules r = rules("rules: [{parameter: cpu_percent, max: 90}]");
        assertThat(verdict(once(r, Samples.host("h").set(Parameter.CPU_PERCENT, cpu).build(), T0, Breaches.NONE), "h"))
                .isEqualTo(expected);
    }

    /**
     * A breach is PENDING until it has lasted for:, then OUT_OF_RANGE: each row is the seconds
     * since the breach began and the verdict then, with the breach carried round to round.
     */
    @ParameterizedTest(name = "breach for {0}s with for: 2m → {1}")
    @CsvSource({"0, PENDING", "60, PENDING", "119.999, PENDING", "120, OUT_OF_RANGE", "600, OUT_OF_RANGE"})
    void forDurationsCountFromTheFirstBreach(double seconds, Verdict expected) {
        Rules r = rules("rules: [{parameter: cpu_percent, max: 90, for: 2m}]");
        HostSample hot = Samples.host("h").set(Parameter.CPU_PERCENT, 95).build();
        Evaluation first = once(r, hot, T0, Breaches.NONE);
        assertThat(verdict(first, "h")).isEqualTo(Verdict.PENDING);
        assertThat(first.breaches().of("h", "cpu_percent")).contains(T0);
        Instant later = T0.plus(Duration.ofNanos((long) (seconds * 1e9)));
        Evaluation then = once(r, hot, later, first.breaches());
        assertThat(verdict(then, "h")).isEqualTo(expected);
        assertThat(then.host("h").orElseThrow().verdicts().get(0).breachSince()).contains(T0);
    }

    @Test
    void aFlappingValueNeverCountsAsABreach() {
        Rules r = rules("rules: [{parameter: cpu_percent, max: 90, for: 1m}]");
        Breaches state = Breaches.NONE;
        List<Verdict> seen = new ArrayList<>();
        // Out for 50 s, in for 10 s, out again...: never 60 s without interruption.
        double[] cpu = {95, 95, 95, 95, 95, 95, 50, 95, 95, 95, 95, 95, 95, 50, 95, 95};
        for (int i = 0; i < cpu.length; i++) {
            Evaluation e = once(r, Samples.host("h").set(Parameter.CPU_PERCENT, cpu[i]).build(),
                    T0.plusSeconds(10L * i), state);
            seen.add(verdict(e, "h"));
            state = e.breaches();
        }
        assertThat(seen).doesNotContain(Verdict.OUT_OF_RANGE).contains(Verdict.PENDING, Verdict.IN_RANGE);
    }

    @Test
    void aMissingValueIsNeitherInRangeNorABreachAndRestartsTheClock() {
        Rules r = rules("rules: [{parameter: cpu_percent, max: 90, for: 1m}]");
        Evaluation e1 = once(r, Samples.host("h").set(Parameter.CPU_PERCENT, 95).build(), T0, Breaches.NONE);
        Evaluation e2 = once(r, Samples.host("h").without(Parameter.CPU_PERCENT).build(), T0.plusSeconds(30),
                e1.breaches());
        assertThat(verdict(e2, "h")).isEqualTo(Verdict.MISSING);
        assertThat(e2.breaches().of("h", "cpu_percent")).isEmpty();
        Evaluation e3 = once(r, Samples.host("h").set(Parameter.CPU_PERCENT, 95).build(), T0.plusSeconds(70),
                e2.breaches());
        assertThat(verdict(e3, "h")).as("the breach before the gap does not count").isEqualTo(Verdict.PENDING);
    }

    @Test
    void aBreachThatEndsIsForgotten() {
        Rules r = rules("rules: [{parameter: cpu_percent, max: 90, for: 1m}]");
        Evaluation e1 = once(r, Samples.host("h").set(Parameter.CPU_PERCENT, 95).build(), T0, Breaches.NONE);
        Evaluation e2 = once(r, Samples.host("h").set(Parameter.CPU_PERCENT, 10).build(), T0.plusSeconds(30), e1.breaches());
        assertThat(e2.breaches().since()).isEmpty();
        Evaluation e3 = once(r, Samples.host("h").set(Parameter.CPU_PERCENT, 95).build(), T0.plusSeconds(90), e2.breaches());
        assertThat(verdict(e3, "h")).isEqualTo(Verdict.PENDING);
    }

    @Test
    void aBreachStartInTheFutureAfterTheClockWentBackRestartsNow() {
        Rules r = rules("rules: [{parameter: cpu_percent, max: 90, for: 1m}]");
        Breaches future = new Breaches(Map.of("h", Map.of("cpu_percent", T0.plusSeconds(3600))));
        Evaluation e = once(r, Samples.host("h").set(Parameter.CPU_PERCENT, 95).build(), T0, future);
        assertThat(verdict(e, "h")).isEqualTo(Verdict.PENDING);
        assertThat(e.breaches().of("h", "cpu_percent")).contains(T0);
    }

    @ParameterizedTest(name = "{0} = {1} against equals/oneOf → {2}")
    @CsvSource({
            "service_up, true, IN_RANGE", "service_up, false, OUT_OF_RANGE",
            "hypervisor_state, up, IN_RANGE", "hypervisor_state, down, OUT_OF_RANGE"})
    void equalsAndOneOf(String parameter, String value, Verdict expected) {
        Rules r = rules(parameter.equals("service_up")
                ? "rules: [{parameter: service_up, equals: true}]"
                : "rules: [{parameter: hypervisor_state, oneOf: [up, maintenance]}]");
        Samples s = Samples.host("h");
        if (parameter.equals("service_up")) {
            s.set(Parameter.SERVICE_UP, Boolean.parseBoolean(value));
        } else {
            s.set(Parameter.HYPERVISOR_STATE, value);
        }
        assertThat(verdict(once(r, s.build(), T0, Breaches.NONE), "h")).isEqualTo(expected);
    }

    @Test
    void anAggregateRuleJudgesOnlyItsMembers() {
        Rules r = rules("rules: [{parameter: cpu_percent, max: 50, appliesTo: {aggregate: ssd}}]");
        HostSample member = Samples.host("in-ssd").set(Parameter.CPU_PERCENT, 80).build();
        HostSample other = Samples.host("other").set(Parameter.CPU_PERCENT, 80).build();
        Evaluation e = evaluator.evaluate(List.of(member, other), r, Map.of("ssd", Set.of("in-ssd")), Set.of(), T0,
                Breaches.NONE);
        assertThat(verdict(e, "in-ssd")).isEqualTo(Verdict.OUT_OF_RANGE);
        assertThat(verdict(e, "other")).isEqualTo(Verdict.NOT_APPLICABLE);
        assertThat(e.host("other").orElseThrow().quiet()).isTrue();
    }

    @Test
    void aFailedHostIsMarkedWhateverItsValues() {
        Rules r = rules("rules: [{parameter: cpu_percent, max: 90}]");
        Evaluation e = evaluator.evaluate(List.of(Samples.host("h").build()), r, Map.of(), Set.of("h"), T0, Breaches.NONE);
        assertThat(e.host("h").orElseThrow().failed()).isTrue();
        assertThat(e.host("h").orElseThrow().isDown()).isTrue();
        assertThat(e.host("h").orElseThrow().quiet()).isFalse();
    }
}
