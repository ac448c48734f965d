package io.understudy.scheduler.stats;

import static java.util.Objects.requireNonNull;

/** One parameter's value: a number, a boolean or a word. A value Nova or an agent did not give is absent, never a default. */
public sealed interface Value {

    /** As operators read it in tables and reasons. */
    String show();

    static Value of(double d) {
        return new Num(d);
    }

    static Value of(boolean b) {
        return b ? Bool.TRUE : Bool.FALSE;
    }

    static Value of(String s) {
        return new Text(s);
    }

    record Num(double value) implements Value {
        public Num {
            if (Double.isNaN(value)) {
                throw new IllegalArgumentException("a value is a number, not NaN");
            }
        }

        @Override
        public String show() {
            return value == Math.rint(value) && Math.abs(value) < 1e15
                    ? Long.toString((long) value) : String.format(java.util.Locale.ROOT, "%.2f", value);
        }
    }

    record Bool(boolean value) implements Value {
        static final Bool TRUE = new Bool(true);
        static final Bool FALSE = new Bool(false);

        @Override
        public String show() {
            return Boolean.toString(value);
        }
    }

    record Text(String value) implements Value {
        public Text {
            requireNonNull(value, "value is null");
        }

        @Override
        public String show() {
            return value;
        }
    }
}
