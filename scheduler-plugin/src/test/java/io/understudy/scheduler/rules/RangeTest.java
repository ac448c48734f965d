package io.understudy.scheduler.rules;

import static org.assertj.core.api.Assertions.assertThat;

import io.understudy.scheduler.stats.Value;
import java.util.OptionalDouble;
import java.util.Set;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class RangeTest {

    @ParameterizedTest(name = "{0}..{1} contains {2}: {3}, headroom {4}")
    @CsvSource(nullValues = "-", value = {
            // min, max, value, in, headroom
            "-,  90, 90,      true,  0",
            "-,  90, 90.0001, false, 0",
            "-,  90, 45,      true,  0.5",
            "-,  90, -10,     true,  1",
            "10, -,  10,      true,  0",
            "10, -,  9.999,   false, 0",
            "10, -,  15,      true,  0.5",
            "0,  -,  0.5,     true,  0.5",
            "0,  100, 50,     true,  1",
            "0,  100, 25,     true,  0.5",
            "0,  100, 100,    true,  0",
            "5,  5,  5,       true,  1",
    })
    void betweenIsInclusiveAndItsHeadroomGrowsInward(Double min, Double max, double value, boolean in, double headroom) {
        Range r = new Range.Between(min == null ? OptionalDouble.empty() : OptionalDouble.of(min),
                max == null ? OptionalDouble.empty() : OptionalDouble.of(max));
        assertThat(r.contains(Value.of(value))).isEqualTo(in);
        assertThat(r.headroom(Value.of(value))).isCloseTo(headroom, org.assertj.core.data.Offset.offset(1e-6));
    }

    @org.junit.jupiter.api.Test
    void aNumberRangeNeverContainsAWordOrABoolean() {
        Range r = new Range.Between(OptionalDouble.empty(), OptionalDouble.of(90));
        assertThat(r.contains(Value.of("10"))).isFalse();
        assertThat(r.contains(Value.of(true))).isFalse();
    }

    @org.junit.jupiter.api.Test
    void equalsAndOneOfCompareValuesOfTheirKind() {
        assertThat(new Range.EqualTo(Value.of(true)).contains(Value.of(true))).isTrue();
        assertThat(new Range.EqualTo(Value.of(true)).contains(Value.of(false))).isFalse();
        assertThat(new Range.EqualTo(Value.of(true)).contains(Value.of("true"))).isFalse();
        Range oneOf = new Range.OneOf(Set.of(Value.of("up"), Value.of("maintenance")));
        assertThat(oneOf.contains(Value.of("up"))).isTrue();
        assertThat(oneOf.contains(Value.of("down"))).isFalse();
        assertThat(oneOf.show()).isEqualTo("one of [maintenance, up]");
    }
}
