package io.understudy.scheduler.yaml;

import static java.util.Objects.requireNonNull;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A node of a YAML document with the line it starts on (1-based).
 *
 * @param path where it sits, e.g. {@code rules[2].max}; empty for the root
 */
public sealed interface YamlNode {

    int line();

    String path();

    /** What kind of node this is, as error messages name it. */
    String kind();

    /** A mapping; keys keep their order and their own lines. */
    record Mapping(int line, String path, Map<String, Entry> entries) implements YamlNode {
        public Mapping {
            requireNonNull(path, "path is null");
            entries = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(entries));
        }

        @Override
        public String kind() {
            return "a mapping";
        }
    }

    /** One key of a mapping: the line of the key itself and its value. */
    record Entry(String key, int line, YamlNode value) {
        public Entry {
            requireNonNull(key, "key is null");
            requireNonNull(value, "value is null");
        }
    }

    record Sequence(int line, String path, List<YamlNode> items) implements YamlNode {
        public Sequence {
            requireNonNull(path, "path is null");
            items = List.copyOf(items);
        }

        @Override
        public String kind() {
            return "a list";
        }
    }

    /**
     * A scalar as written; what it means (number, boolean, duration, text) is up to the reader,
     * which knows what the key expects.
     *
     * @param text null for YAML's null ({@code ~}, {@code null}, or nothing)
     */
    record Scalar(int line, String path, String text) implements YamlNode {
        public Scalar {
            requireNonNull(path, "path is null");
        }

        public boolean isNull() {
            return text == null;
        }

        @Override
        public String kind() {
            return text == null ? "null" : "'" + text + "'";
        }
    }
}
