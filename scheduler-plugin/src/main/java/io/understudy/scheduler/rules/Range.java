package io.understudy.scheduler.rules;

import static java.util.Objects.requireNonNull;

import io.understudy.scheduler.stats.Value;
import java.util.OptionalDouble;
import java.util.Set;
import java.util.stream.Collectors;

/** An operating range: the values of one parameter a host may have and still count as healthy. */
public sealed interface Range {

    boolean contains(Value value);

    /**
     * How far inside the range the value is, 0 (on or past a bound) to 1 (comfortably inside):
     * the score prefers targets far from every limit.
     */
    double headroom(Value value);

    /** As reasons and tables show it: {@code max 90}, {@code = true}, {@code one of [up]}. */
    String show();

    /** Numbers from min to max, either bound may be absent, both inclusive. */
    record Between(OptionalDouble min, OptionalDouble max) implements Range {
        public Between {
            requireNonNull(min, "min is null");
            requireNonNull(max, "max is null");
            if (min.isEmpty() && max.isEmpty()) {
                throw new IllegalArgumentException("a range needs min, max or both");
            }
            if (min.isPresent() && max.isPresent() && min.getAsDouble() > max.getAsDouble()) {
                throw new IllegalArgumentException("min " + min.getAsDouble() + " is above max " + max.getAsDouble());
            }
        }

        @Override
        public boolean contains(Value value) {
            if (!(value instanceof Value.Num n)) {
                return false;
            }
            double v = n.value();
            return (min.isEmpty() || v >= min.getAsDouble()) && (max.isEmpty() || v <= max.getAsDouble());
        }

        @Override
        public double headroom(Value value) {
            if (!contains(value)) {
                return 0;
            }
            double v = ((Value.Num) value).value();
            if (min.isPresent() && max.isPresent()) {
                double half = (max.getAsDouble() - min.getAsDouble()) / 2;
                return half == 0 ? 1 : clamp(Math.min(v - min.getAsDouble(), max.getAsDouble() - v) / half);
            }
            // One-sided: distance to the bound relative to the bound's own size (at least 1, so
            // that a bound of 0 does not divide by zero).
            double bound = min.isPresent() ? min.getAsDouble() : max.getAsDouble();
            double distance = min.isPresent() ? v - bound : bound - v;
            return clamp(distance / Math.max(Math.abs(bound), 1));
        }

        @Override
        public String show() {
            if (min.isPresent() && max.isPresent()) {
                return num(min.getAsDouble()) + ".." + num(max.getAsDouble());
            }
            return min.isPresent() ? "min " + num(min.getAsDouble()) : "max " + num(max.getAsDouble());
        }
    }

    record EqualTo(Value expected) implements Range {
        public EqualTo {
            requireNonNull(expected, "expected is null");
        }

        @Override
        public boolean contains(Value value) {
            return expected.equals(value);
        }

        @Override
        public double headroom(Value value) {
            return contains(value) ? 1 : 0;
        }

        @Override
        public String show() {
            return "= " + expected.show();
        }
    }

    record OneOf(Set<Value> allowed) implements Range {
        public OneOf {
            allowed = Set.copyOf(allowed);
            if (allowed.isEmpty()) {
                throw new IllegalArgumentException("oneOf needs at least one value");
            }
        }

        @Override
        public boolean contains(Value value) {
            return allowed.contains(value);
        }

        @Override
        public double headroom(Value value) {
            return contains(value) ? 1 : 0;
        }

        @Override
        public String show() {
            return "one of [" + allowed.stream().map(Value::show).sorted().collect(Collectors.joining(", ")) + "]";
        }
    }

    private static double clamp(double d) {
        return Math.max(0, Math.min(1, d));
    }

    private static String num(double d) {
        return Value.of(d).show();
    }
}
