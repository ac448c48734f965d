package io.understudy.scheduler.rules;

import io.understudy.scheduler.stats.Parameter;
import io.understudy.scheduler.stats.Value;
import io.understudy.scheduler.yaml.Fields;
import io.understudy.scheduler.yaml.YamlException;
import io.understudy.scheduler.yaml.YamlNode;
import io.understudy.scheduler.yaml.YamlReader;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.Set;

/**
 * Reads a rules file. Every mistake is one {@link YamlException} naming the file, the line and
 * the key: unknown keys, wrong types, unknown parameters, empty or contradictory ranges,
 * duplicate rule names.
 */
public final class RulesParser {

    /** More would be a generated file gone wrong: every rule is evaluated on every host each round. */
    static final int MAX_RULES = 1000;

    private final YamlReader yaml = new YamlReader();

    public Rules parse(Path file) {
        String text;
        try {
            text = Files.readString(file);
        } catch (NoSuchFileException e) {
            throw new YamlException(file.toString(), 0, "", "no such file");
        } catch (IOException e) {
            throw new YamlException(file.toString(), 0, "", "cannot be read: " + e.getMessage());
        }
        return parse(text, file.toString());
    }

    public Rules parse(String text, String source) {
        Fields top = Fields.of(source, yaml.read(text, source));
        top.integer("version", 1, 1);
        Policy policy = top.node("policy").map(n -> policy(Fields.of(source, n))).orElse(Policy.DEFAULT);
        List<VmSelector> protect = top.node("protect").map(n -> protect(source, n))
                .orElse(List.of(VmSelector.PROTECT_BY_EXTRA_SPEC));
        List<Rule> rules = top.node("rules").map(n -> rules(source, n)).orElse(List.of());
        top.finish();
        return new Rules(source, policy, protect, rules);
    }

    private static Policy policy(Fields f) {
        Policy d = Policy.DEFAULT;
        int replicas = f.integer("replicas", 1, 5).orElse(d.replicas());
        Duration interval = positive(f, "replicationInterval").orElse(d.replicationInterval());
        Duration maxLag = positive(f, "maxReplicaLag").orElse(d.maxReplicaLag());
        Duration cooldown = f.duration("cooldown").orElse(d.cooldown());
        int maxMoves = f.integer("maxMovesAtOnce", 0, 10_000).orElse(d.maxMovesAtOnce());
        MoveAction alive = action(f, "whenPrimaryAlive", MoveAction.LIVE_MIGRATE).orElse(d.whenPrimaryAlive());
        MoveAction down = action(f, "whenPrimaryDown", MoveAction.EVACUATE).orElse(d.whenPrimaryDown());
        f.finish();
        return new Policy(replicas, interval, maxLag, cooldown, maxMoves, alive, down);
    }

    private static java.util.Optional<Duration> positive(Fields f, String key) {
        java.util.Optional<Duration> d = f.duration(key);
        if (d.isPresent() && d.get().isZero()) {
            throw YamlException.at(f.source(), f.required(key), "must be longer than 0");
        }
        return d;
    }

    /** Each policy knob allows one move and "none". */
    private static java.util.Optional<MoveAction> action(Fields f, String key, MoveAction allowed) {
        return f.node(key).map(n -> f.convert(n, text -> MoveAction.byKey(text)
                .filter(a -> a == allowed || a == MoveAction.NONE)
                .orElseThrow(() -> new IllegalArgumentException(
                        "'" + text + "' is not one of " + allowed.key() + ", none"))));
    }

    private static List<VmSelector> protect(String source, YamlNode node) {
        List<YamlNode> items = node instanceof YamlNode.Sequence s ? s.items() : List.of(node);
        List<VmSelector> selectors = new ArrayList<>();
        for (YamlNode item : items) {
            selectors.add(selector(Fields.of(source, item)));
        }
        if (selectors.isEmpty()) {
            throw YamlException.at(source, node, "needs at least one selector (metadata, flavors, extra_specs)");
        }
        return selectors;
    }

    private static VmSelector selector(Fields f) {
        Map<String, String> metadata = pairs(f, "metadata");
        Map<String, String> extraSpecs = pairs(f, "extra_specs");
        Set<String> flavors = new LinkedHashSet<>();
        f.node("flavors").ifPresent(n -> f.list(n).forEach(item -> flavors.add(f.scalar(item).text())));
        if (metadata.isEmpty() && flavors.isEmpty() && extraSpecs.isEmpty()) {
            throw YamlException.at(f.source(), f.mapping(),
                    "needs metadata, flavors or extra_specs (it would select every VM)");
        }
        f.finish();
        return new VmSelector(metadata, flavors, extraSpecs);
    }

    /** A mapping of text to text under {@code key}, empty when absent. */
    private static Map<String, String> pairs(Fields f, String key) {
        Map<String, String> pairs = new LinkedHashMap<>();
        f.node(key).ifPresent(n -> {
            Fields m = Fields.of(f.source(), n);
            for (YamlNode.Entry e : m.mapping().entries().values()) {
                pairs.put(e.key(), m.scalar(e.value()).text());
            }
        });
        return pairs;
    }

    private static List<Rule> rules(String source, YamlNode node) {
        if (!(node instanceof YamlNode.Sequence seq)) {
            throw YamlException.at(source, node, "must be a list of rules (lines starting with '- '), not " + node.kind());
        }
        if (seq.items().size() > MAX_RULES) {
            throw YamlException.at(source, node, "has " + seq.items().size() + " rules, more than " + MAX_RULES);
        }
        List<Rule> rules = new ArrayList<>();
        Map<String, Rule> byName = new HashMap<>();
        for (YamlNode item : seq.items()) {
            Fields f = Fields.of(source, item);
            Rule rule = rule(f);
            Rule earlier = byName.putIfAbsent(rule.name(), rule);
            if (earlier != null) {
                YamlNode at = f.node("name").orElse(f.required("parameter"));
                throw YamlException.at(source, at, "a rule named '" + rule.name() + "' exists already (line "
                        + earlier.line() + "); give each rule its own name:");
            }
            rules.add(rule);
        }
        return rules;
    }

    private static Rule rule(Fields f) {
        YamlNode parameterNode = f.required("parameter");
        Parameter parameter = f.convert(parameterNode, key -> Parameter.byKey(key).orElseThrow(() ->
                new IllegalArgumentException("unknown parameter '" + key + "' (known: " + Parameter.keys() + ")")));
        String name = f.text("name").orElse(parameter.key());
        Range range = range(f, parameter);
        Duration forDuration = f.duration("for").orElse(Duration.ZERO);
        Scope scope = f.node("appliesTo").map(n -> scope(f.source(), n)).orElse(new Scope.AllHosts());
        f.finish();
        return new Rule(name, parameter, range, forDuration, scope, f.mapping().line());
    }

    private static Range range(Fields f, Parameter parameter) {
        boolean between = f.has("min") || f.has("max");
        boolean equals = f.has("equals");
        boolean oneOf = f.has("oneOf");
        int forms = (between ? 1 : 0) + (equals ? 1 : 0) + (oneOf ? 1 : 0);
        if (forms != 1) {
            throw YamlException.at(f.source(), f.mapping(), forms == 0
                    ? "needs a range: min and/or max, equals, or oneOf"
                    : "has more than one kind of range: use min/max, equals or oneOf, not several");
        }
        if (between) {
            if (parameter.kind() != Parameter.Kind.NUMBER) {
                YamlNode at = f.node("min").orElseGet(() -> f.required("max"));
                throw YamlException.at(f.source(), at, parameter.key() + " is " + describe(parameter.kind())
                        + ": min/max need a number parameter; use equals or oneOf");
            }
            OptionalDouble min = f.number("min").map(OptionalDouble::of).orElse(OptionalDouble.empty());
            OptionalDouble max = f.number("max").map(OptionalDouble::of).orElse(OptionalDouble.empty());
            if (min.isPresent() && max.isPresent() && min.getAsDouble() > max.getAsDouble()) {
                throw YamlException.at(f.source(), f.required("min"), "min " + Value.of(min.getAsDouble()).show()
                        + " is above max " + Value.of(max.getAsDouble()).show() + ": no value could be in range");
            }
            return new Range.Between(min, max);
        }
        if (equals) {
            return new Range.EqualTo(value(f, f.required("equals"), parameter));
        }
        Set<Value> allowed = new LinkedHashSet<>();
        YamlNode list = f.required("oneOf");
        f.list(list).forEach(item -> allowed.add(value(f, item, parameter)));
        if (allowed.isEmpty()) {
            throw YamlException.at(f.source(), list, "needs at least one value");
        }
        return new Range.OneOf(allowed);
    }

    private static Value value(Fields f, YamlNode node, Parameter parameter) {
        return f.convert(node, text -> switch (parameter.kind()) {
            case NUMBER -> Value.of(Fields.parseNumber(text));
            case BOOLEAN -> Value.of(Fields.parseBoolean(text));
            case TEXT -> Value.of(text);
        });
    }

    private static String describe(Parameter.Kind kind) {
        return switch (kind) {
            case NUMBER -> "a number";
            case BOOLEAN -> "true or false";
            case TEXT -> "a word";
        };
    }

    private static Scope scope(String source, YamlNode node) {
        if (node instanceof YamlNode.Scalar s && "all".equals(s.text())) {
            return new Scope.AllHosts();
        }
        Fields f = Fields.of(source, node);
        boolean aggregate = f.has("aggregate");
        boolean vms = f.has("vms");
        boolean hosts = f.has("hosts");
        if ((aggregate ? 1 : 0) + (vms ? 1 : 0) + (hosts ? 1 : 0) != 1) {
            throw YamlException.at(source, node, "needs exactly one of: hosts: all, aggregate: NAME, vms: {metadata, flavors}");
        }
        Scope scope;
        if (hosts) {
            f.convert(f.required("hosts"), text -> {
                if (!"all".equals(text)) {
                    throw new IllegalArgumentException("'" + text + "' is not 'all' (use aggregate: NAME for some hosts)");
                }
                return text;
            });
            scope = new Scope.AllHosts();
        } else if (aggregate) {
            scope = new Scope.Aggregate(f.scalar(f.required("aggregate")).text());
        } else {
            scope = new Scope.Vms(selector(Fields.of(source, f.required("vms"))));
        }
        f.finish();
        return scope;
    }
}
