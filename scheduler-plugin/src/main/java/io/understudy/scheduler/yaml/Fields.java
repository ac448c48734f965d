package io.understudy.scheduler.yaml;

import static java.util.Objects.requireNonNull;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;

/**
 * Reads the keys of one mapping, each as the type it must have, and refuses keys nobody asked
 * for ({@link #finish}): a misspelt key is an error, not a silently ignored setting.
 */
public final class Fields {

    private final String source;
    private final YamlNode.Mapping mapping;
    private final Set<String> known = new LinkedHashSet<>();

    public Fields(String source, YamlNode.Mapping mapping) {
        this.source = requireNonNull(source, "source is null");
        this.mapping = requireNonNull(mapping, "mapping is null");
    }

    /** The node must be a mapping. */
    public static Fields of(String source, YamlNode node) {
        if (node instanceof YamlNode.Mapping m) {
            return new Fields(source, m);
        }
        throw YamlException.at(source, node, "must be a mapping (key: value lines), not " + node.kind());
    }

    public String source() {
        return source;
    }

    public YamlNode.Mapping mapping() {
        return mapping;
    }

    public boolean has(String key) {
        known.add(key);
        YamlNode.Entry entry = mapping.entries().get(key);
        return entry != null && !(entry.value() instanceof YamlNode.Scalar s && s.isNull());
    }

    public Optional<YamlNode> node(String key) {
        known.add(key);
        YamlNode.Entry entry = mapping.entries().get(key);
        if (entry == null || entry.value() instanceof YamlNode.Scalar s && s.isNull()) {
            return Optional.empty();
        }
        return Optional.of(entry.value());
    }

    public YamlNode required(String key) {
        return node(key).orElseThrow(() -> new YamlException(source, mapping.line(), path(key), "is required"));
    }

    public Optional<String> text(String key) {
        return node(key).map(n -> scalar(n).text());
    }

    public Optional<Duration> duration(String key) {
        return node(key).map(n -> convert(n, Durations::parse));
    }

    public Optional<Integer> integer(String key, int min, int max) {
        return node(key).map(n -> {
            int value = convert(n, text -> {
                try {
                    return Integer.parseInt(text);
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException("'" + text + "' is not a whole number");
                }
            });
            if (value < min || value > max) {
                throw YamlException.at(source, n, value + " is outside " + min + ".." + max);
            }
            return value;
        });
    }

    public Optional<Double> number(String key) {
        return node(key).map(n -> convert(n, Fields::parseNumber));
    }

    public Optional<Boolean> bool(String key) {
        return node(key).map(n -> convert(n, Fields::parseBoolean));
    }

    /** Turns a scalar into a value, making the converter's complaint an error at its line and key. */
    public <T> T convert(YamlNode node, Function<String, T> converter) {
        YamlNode.Scalar s = scalar(node);
        try {
            return converter.apply(s.text());
        } catch (IllegalArgumentException e) {
            throw YamlException.at(source, s, e.getMessage());
        }
    }

    public YamlNode.Scalar scalar(YamlNode node) {
        if (node instanceof YamlNode.Scalar s && !s.isNull()) {
            return s;
        }
        throw YamlException.at(source, node, "must be a single value, not " + node.kind());
    }

    /** A list, or a single value taken as a list of one. */
    public List<YamlNode> list(YamlNode node) {
        if (node instanceof YamlNode.Sequence seq) {
            return seq.items();
        }
        if (node instanceof YamlNode.Scalar) {
            return List.of(scalar(node));
        }
        throw YamlException.at(source, node, "must be a list or a single value, not " + node.kind());
    }

    /** Refuses every key that was never asked for, naming it and the keys that are understood. */
    public void finish() {
        for (YamlNode.Entry entry : mapping.entries().values()) {
            if (!known.contains(entry.key())) {
                throw new YamlException(source, entry.line(), path(entry.key()),
                        "unknown key (known here: " + String.join(", ", new ArrayList<>(known)) + ")");
            }
        }
    }

    /** The full paths of every key asked for so far, e.g. {@code agents.timeout}. */
    public Set<String> keysAsked() {
        Set<String> out = new LinkedHashSet<>();
        known.forEach(k -> out.add(path(k)));
        return out;
    }

    public String path(String key) {
        return mapping.path().isEmpty() ? key : mapping.path() + "." + key;
    }

    public static double parseNumber(String text) {
        try {
            double d = Double.parseDouble(text);
            if (Double.isNaN(d) || Double.isInfinite(d)) {
                throw new NumberFormatException();
            }
            return d;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("'" + text + "' is not a number");
        }
    }

    public static boolean parseBoolean(String text) {
        return switch (text) {
            case "true" -> true;
            case "false" -> false;
            default -> throw new IllegalArgumentException("'" + text + "' is not true or false");
        };
    }
}
