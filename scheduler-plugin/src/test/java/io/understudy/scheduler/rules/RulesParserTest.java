package io.understudy.scheduler.rules;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.understudy.scheduler.stats.Parameter;
import io.understudy.scheduler.stats.Value;
import io.understudy.scheduler.yaml.YamlException;
import java.time.Duration;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;

class RulesParserTest {

    private static final java.util.UUID VM = java.util.UUID.fromString("0b5c1f3e-8d2a-4c6b-9e7f-1a2b3c4d5e6f");

    private final RulesParser parser = new RulesParser();

    @Test
    void everyKeyOfAFullFileLandsWhereItBelongs() {
        Rules rules = parser.parse("""
                version: 1
                policy:
                  replicas: 3
                  replicationInterval: 15s
                  maxReplicaLag: 90s
                  cooldown: 1h
                  maxMovesAtOnce: 7
                  whenPrimaryAlive: none
                  whenPrimaryDown: none
                protect:
                  - metadata: {"understudy:protect": "yes", tier: db}
                  - flavors: [m1.large, m1.xlarge]
                  - extra_specs: {"hw:gold": "true"}
                    flavors: [m1.large]
                rules:
                  - name: cpu
                    parameter: cpu_percent
                    min: 5
                    max: 90
                    for: 2m
                  - parameter: service_up
                    equals: true
                  - parameter: hypervisor_state
                    oneOf: [up]
                    appliesTo: {aggregate: ssd}
                  - parameter: memory_free_mib
                    min: 4096
                    appliesTo:
                      vms: {flavors: [m1.large]}
                  - parameter: load1
                    max: 8
                    appliesTo: all
                """, "r.yaml");
        assertThat(rules.policy()).isEqualTo(new Policy(3, Duration.ofSeconds(15), Duration.ofSeconds(90),
                Duration.ofHours(1), 7, MoveAction.NONE, MoveAction.NONE));
        assertThat(rules.protect()).containsExactly(
                new VmSelector(Map.of("understudy:protect", "yes", "tier", "db"), Set.of(), Map.of()),
                new VmSelector(Map.of(), Set.of("m1.large", "m1.xlarge"), Map.of()),
                new VmSelector(Map.of(), Set.of("m1.large"), Map.of("hw:gold", "true")));
        assertThat(rules.protect()).extracting(VmSelector::tenantsOptIn).containsExactly(true, false, false);
        assertThat(rules.isProtected(VM, Map.of(), "m1.large", Map.of("hw:gold", "true"))).isTrue();
        assertThat(rules.isProtected(VM, Map.of(), "m1.small", Map.of("hw:gold", "true"))).isFalse();
        assertThat(rules.rules()).hasSize(5);
        Rule cpu = rules.rules().get(0);
        assertThat(cpu).isEqualTo(new Rule("cpu", Parameter.CPU_PERCENT,
                new Range.Between(OptionalDouble.of(5), OptionalDouble.of(90)), Duration.ofMinutes(2),
                new Scope.AllHosts(), 16));
        assertThat(rules.rules().get(1).name()).isEqualTo("service_up");
        assertThat(rules.rules().get(1).range()).isEqualTo(new Range.EqualTo(Value.of(true)));
        assertThat(rules.rules().get(1).forDuration()).isZero();
        assertThat(rules.rules().get(2).range()).isEqualTo(new Range.OneOf(Set.of(Value.of("up"))));
        assertThat(rules.rules().get(2).scope()).isEqualTo(new Scope.Aggregate("ssd"));
        assertThat(rules.rules().get(3).scope())
                .isEqualTo(new Scope.Vms(new VmSelector(Map.of(), Set.of("m1.large"), Map.of())));
        assertThat(rules.rules().get(4).scope()).isEqualTo(new Scope.AllHosts());
        assertThat(rules.aggregates()).containsExactly("ssd");
    }

    @Test
    void anEmptyPolicyAndNoProtectKeepEveryDefault() {
        Rules rules = parser.parse("rules: []\n", "r.yaml");
        // Pinned: changing a default changes what operators' files mean.
        assertThat(rules.policy().replicas()).isEqualTo(2);
        assertThat(rules.policy().replicationInterval()).isEqualTo(Duration.ofSeconds(30));
        assertThat(rules.policy().maxReplicaLag()).isEqualTo(Duration.ofMinutes(2));
        assertThat(rules.policy().cooldown()).isEqualTo(Duration.ofMinutes(15));
        assertThat(rules.policy().maxMovesAtOnce()).isEqualTo(2);
        assertThat(rules.policy().whenPrimaryAlive()).isEqualTo(MoveAction.LIVE_MIGRATE);
        assertThat(rules.policy().whenPrimaryDown()).isEqualTo(MoveAction.EVACUATE);
        // Only an admin sets a flavor's extra specs; any project member sets its server's metadata.
        assertThat(rules.protect()).containsExactly(
                new VmSelector(Map.of(), Set.of(), Map.of("understudy:protect", "true")));
        assertThat(rules.isProtected(VM, Map.of(), "any", Map.of("understudy:protect", "true"))).isTrue();
        assertThat(rules.isProtected(VM, Map.of(), "any", Map.of("understudy:protect", "false"))).isFalse();
        assertThat(rules.isProtected(VM, Map.of("understudy:protect", "true"), "any", Map.of()))
                .as("a tenant's metadata, not opted in by the rules").isFalse();

        Rules chosen = rules.withChoices(Map.of(VM, false));
        assertThat(chosen.isProtected(VM, Map.of(), "any", Map.of("understudy:protect", "true")))
                .as("an operator's unprotect outweighs the flavor").isFalse();
        assertThat(rules.withChoices(Map.of(VM, true)).isProtected(VM, Map.of(), "any", Map.of()))
                .as("an operator's protect, whatever the flavor").isTrue();
        assertThat(chosen.isProtected(java.util.UUID.randomUUID(), Map.of(), "any",
                Map.of("understudy:protect", "true"))).as("another VM: the rules decide").isTrue();
    }

    @Test
    void aBooleanWrittenAsAWordOrQuotedMeansTheSame() {
        Rules rules = parser.parse("rules:\n  - {parameter: agent_reachable, equals: \"true\"}\n", "r.yaml");
        assertThat(rules.rules().get(0).range().contains(Value.of(true))).isTrue();
    }

    static Stream<Arguments> badFiles() {
        return Stream.of(
                Arguments.of("polcy: {}\n", 1, "polcy", "unknown key"),
                Arguments.of("rules:\n  - parameter: cpu\n    max: 3\n", 2, "rules[1].parameter", "unknown parameter 'cpu'"),
                Arguments.of("rules:\n  - parameter: cpu_percent\n    min: 80\n    max: 20\n", 3, "rules[1].min",
                        "min 80 is above max 20"),
                Arguments.of("rules:\n  - parameter: service_up\n    max: 1\n", 3, "rules[1].max", "min/max need a number"),
                Arguments.of("rules:\n  - parameter: cpu_percent\n    max: 1\n    equals: 3\n", 2, "rules[1]",
                        "more than one kind of range"),
                Arguments.of("rules:\n  - parameter: cpu_percent\n", 2, "rules[1]", "needs a range"),
                Arguments.of("rules:\n  - parameter: cpu_percent\n    max: 90\n    for: 2 minutes\n", 4, "rules[1].for",
                        "not a duration"),
                Arguments.of("rules:\n  - parameter: cpu_percent\n    max: ninety\n", 3, "rules[1].max", "not a number"),
                Arguments.of("rules:\n  - parameter: cpu_percent\n    max: 90\n  - parameter: cpu_percent\n    max: 95\n",
                        4, "rules[2].parameter", "exists already (line 2)"),
                Arguments.of("rules:\n  - parameter: cpu_percent\n    max: 90\n    max: 95\n", 4, "rules[1].max",
                        "duplicate key (first at line 3)"),
                Arguments.of("rules:\n  cpu: {parameter: cpu_percent}\n", 1, "rules", "must be a list of rules"),
                Arguments.of("policy:\n  whenPrimaryAlive: evacuate\n", 2, "policy.whenPrimaryAlive",
                        "not one of live-migrate, none"),
                Arguments.of("policy:\n  whenPrimaryDown: live-migrate\n", 2, "policy.whenPrimaryDown",
                        "not one of evacuate, none"),
                Arguments.of("policy:\n  replicas: 0\n", 2, "policy.replicas", "outside 1..5"),
                Arguments.of("policy:\n  maxReplicaLag: 0s\n", 2, "policy.maxReplicaLag", "longer than 0"),
                Arguments.of("rules:\n  - parameter: cpu_percent\n    max: 1\n    appliesTo: {aggregate: a, vms: {flavors: [x]}}\n",
                        4, "rules[1].appliesTo", "exactly one of"),
                Arguments.of("protect:\n  - {}\n", 2, "protect[1]", "would select every VM"),
                Arguments.of("rules:\n  - parameter: hypervisor_state\n    oneOf: []\n", 3, "rules[1].oneOf", "at least one"),
                Arguments.of("rules: [\n", 2, "", "not valid YAML"),
                Arguments.of("version: 2\n", 1, "version", "outside 1..1"),
                Arguments.of("- a\n- b\n", 1, "", "must be a mapping"));
    }

    @ParameterizedTest
    @MethodSource("badFiles")
    void aBadFileNamesItsLineAndKey(String yaml, int line, String key, String reason) {
        assertThatThrownBy(() -> parser.parse(yaml, "bad.yaml"))
                .isInstanceOfSatisfying(YamlException.class, e -> {
                    assertThat(e.line()).as(e.getMessage()).isEqualTo(line);
                    assertThat(e.key()).as(e.getMessage()).isEqualTo(key);
                    assertThat(e.reason()).as(e.getMessage()).contains(reason);
                    assertThat(e.getMessage()).startsWith("bad.yaml:" + line + ": ").doesNotContain("\n");
                });
    }

    @Test
    void aMissingFileIsOneLineNamingIt() {
        assertThatThrownBy(() -> parser.parse(java.nio.file.Path.of("/nonexistent/rules.yaml")))
                .hasMessage("/nonexistent/rules.yaml: no such file");
    }
}
