package io.understudy.agent.api;

/** Checks the wire records make of what they are given, so a missing field is named, not a null later. */
final class Fields {

    private Fields() {}

    static <T> T required(T value, String field) {
        if (value == null) {
            throw new IllegalArgumentException("missing field '" + field + "'");
        }
        return value;
    }
}
