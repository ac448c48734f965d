package io.understudy.scheduler.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.understudy.scheduler.moves.MoveKind;
import io.understudy.scheduler.moves.MovePlan;
import io.understudy.scheduler.moves.MoveState;
import io.understudy.scheduler.moves.RecordJournal;
import io.understudy.scheduler.records.FileRecords;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class MainTest {

    @TempDir
    Path dir;

    private record Run(int exit, String out, String err) {}

    private static Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int exit = Main.run(args, new PrintWriter(out, true), new PrintWriter(err, true));
        return new Run(exit, out.toString(), err.toString());
    }

    @Test
    void everyCommandAnswersHelpWithItsUsageAndExitCodes() {
        List<String> names = commands(new CommandLine(new Main())).map(c -> c.getCommandSpec().qualifiedName(" "))
                .toList();
        assertThat(names).contains("understudy status", "understudy fence confirm", "understudy moves close");
        for (String name : names) {
            String[] words = name.split(" ");
            List<String> args = new ArrayList<>(List.of(words).subList(1, words.length));
            args.add("--help");
            Run r = run(args.toArray(String[]::new));
            assertThat(r.exit()).as(name).isZero();
            assertThat(r.out()).as(name).startsWith("Usage: " + name + " ").contains("Exit codes:", "2   bad arguments");
        }
        assertThat(run("bring-back", "--help").out()).contains("5   not back yet");
    }

    /** COMMAND and every subcommand below it. */
    private static Stream<CommandLine> commands(CommandLine command) {
        return Stream.concat(Stream.of(command), command.getSubcommands().values().stream().flatMap(MainTest::commands));
    }

    @Test
    void rulesCheckSummarisesAValidFile() throws Exception {
        Path rules = dir.resolve("rules.yaml");
        Files.writeString(rules, """
                policy: {replicas: 2, cooldown: 10m}
                rules:
                  - name: busy
                    parameter: cpu_percent
                    max: 90
                    for: 2m
                  - parameter: service_up
                    equals: true
                """);
        Run r = run("rules", "check", rules.toString());
        assertThat(r.exit()).isZero();
        assertThat(r.err()).isEmpty();
        assertThat(r.out()).contains(rules + ": valid, 2 rules")
                .contains("cooldown 10m")
                .contains("busy", "cpu_percent max 90", "2m", "all hosts")
                .contains("service_up = true")
                .contains("protects VMs with: flavor extra spec understudy:protect=true")
                .doesNotContain("tenants opt in");
        Files.writeString(rules, "protect: [{metadata: {\"understudy:protect\": \"true\"}}]\nrules: []\n");
        assertThat(run("rules", "check", rules.toString()).out())
                .contains("protects VMs with: metadata understudy:protect=true")
                .contains("tenants opt in: server metadata is set by any member of the server's project");
    }

    @Test
    void rulesCheckRefusesABadFileWithOneLineNamingLineAndKey() throws Exception {
        Path rules = dir.resolve("bad.yaml");
        Files.writeString(rules, "rules:\n  - parameter: cpu_percent\n    max: 90\n    for: soon\n");
        Run r = run("rules", "check", rules.toString());
        assertThat(r.exit()).isEqualTo(Main.EXIT_BAD_INPUT);
        assertThat(r.out()).isEmpty();
        assertThat(r.err().strip()).isEqualTo("understudy: " + rules
                + ":4: rules[1].for: 'soon' is not a duration (e.g. 500ms, 10s, 2m, 1h, 1d)");
    }

    @Test
    void aMissingFileAndAWrongCommandAreSaidInOneLine() {
        Run missing = run("rules", "check", dir.resolve("none.yaml").toString());
        assertThat(missing.exit()).isEqualTo(Main.EXIT_BAD_INPUT);
        assertThat(missing.err().strip()).endsWith("none.yaml: no such file");
        Run usage = run("evaluate");
        assertThat(usage.exit()).isEqualTo(Main.EXIT_USAGE);
        assertThat(usage.err()).contains("evaluate").contains("(see --help)");
    }

    @Test
    void aBadConfigStopsEveryCommandThatReadsIt() throws Exception {
        Path config = dir.resolve("controller.yaml");
        Files.writeString(config, "dataDir: " + dir + "\nhistroy: {}\n");
        Run r = run("history", "--config", config.toString());
        assertThat(r.exit()).isEqualTo(Main.EXIT_BAD_INPUT);
        assertThat(r.err().strip()).isEqualTo("understudy: " + config + ":2: histroy: unknown key (known here: listen, "
                + "dataDir, rules, dryRun, openstack, agents, api, evaluation, placement, jobstore, jdbc, cluster, history, "
                + "moves, detection)");
    }

    @Test
    void historyWithoutRoundsSaysSo() throws Exception {
        Path config = dir.resolve("controller.yaml");
        Files.writeString(config, "dataDir: " + dir + "\n");
        Run r = run("history", "--config", config.toString());
        assertThat(r.exit()).isZero();
        assertThat(r.out().strip()).isEqualTo("no rounds recorded in " + dir.resolve("history.jsonl"));
    }

    @Test
    void serveRefusesAnInvalidRulesFileBeforeStarting() throws Exception {
        Path rules = dir.resolve("rules.yaml");
        Files.writeString(rules, "rules:\n  - parameter: nope\n    max: 1\n");
        Path config = dir.resolve("controller.yaml");
        Files.writeString(config, "dataDir: " + dir + "\nrules: rules.yaml\nopenstack:\n  cloudsYaml: " + dir
                + "/clouds.yaml\n  cloud: x\n");
        Files.writeString(dir.resolve("clouds.yaml"), "clouds: {x: {auth: {auth_url: 'http://127.0.0.1:9/v3', "
                + "username: u, password: p, project_name: p}}}\n");
        Run r = run("serve", "--config", config.toString());
        assertThat(r.exit()).isEqualTo(Main.EXIT_BAD_INPUT);
        assertThat(r.err().strip()).startsWith("understudy: " + rules + ":2: rules[1].parameter: unknown parameter 'nope'");
    }

    @Test
    void fenceNeedsAHostAndWithdrawsAConfirmationByName() throws Exception {
        Run usage = run("fence", "confirm");
        assertThat(usage.exit()).isEqualTo(Main.EXIT_USAGE);
        assertThat(usage.err()).contains("HOST").contains("(see --help)");

        Files.writeString(dir.resolve("clouds.yaml"), "clouds: {c: {auth: {auth_url: 'http://127.0.0.1:9/v3', "
                + "username: u, password: p, project_name: p}}}\n");
        Path config = dir.resolve("controller.yaml");
        Files.writeString(config, "dataDir: data\nopenstack: {cloudsYaml: clouds.yaml, cloud: c}\n");
        Files.createDirectories(dir.resolve("data/fences"));
        Files.writeString(dir.resolve("data/fences/compute1.json"), "{}");

        Run withdrawn = run("fence", "withdraw", "compute1", "--config", config.toString());
        assertThat(withdrawn.exit()).as(withdrawn.err()).isZero();
        assertThat(withdrawn.out().strip()).isEqualTo("compute1's fence confirmation withdrawn");
        assertThat(dir.resolve("data/fences/compute1.json")).doesNotExist();
        assertThat(run("fence", "withdraw", "compute1", "--config", config.toString()).out().strip())
                .isEqualTo("no fence confirmation of compute1 (" + dir.resolve("data/fences/compute1.json") + ")");
    }

    @Test
    void movesListsTheOpenOnesAndClosesOneAnOperatorLookedAt() throws Exception {
        Files.writeString(dir.resolve("clouds.yaml"), "clouds: {c: {auth: {auth_url: 'http://127.0.0.1:9/v3', "
                + "username: u, password: p, project_name: p}}}\n");
        Path config = dir.resolve("controller.yaml");
        Files.writeString(config, "dataDir: data\nopenstack: {cloudsYaml: clouds.yaml, cloud: c}\n");
        assertThat(run("moves", "--config", config.toString()).out().strip()).isEqualTo("no open moves");

        UUID vm = UUID.fromString("0b5c1f3e-8d2a-4c6b-9e7f-1a2b3c4d5e6f");
        new RecordJournal(new FileRecords(dir.resolve("data"))).begin(MoveState.begin(new MovePlan(vm,
                MoveKind.LIVE_MIGRATION, "compute1", "compute2", List.of("compute2"), Duration.ofSeconds(30), "test"),
                Instant.now()));
        Run listed = run("moves", "--config", config.toString());
        assertThat(listed.out()).contains(vm.toString()).contains("IN_FLIGHT").contains("compute1")
                .contains("compute2");

        Run refused = run("moves", "close", vm.toString(), "--config", config.toString());
        assertThat(refused.exit()).isEqualTo(Main.EXIT_REFUSED);
        assertThat(refused.err()).contains("in flight").contains("--in-flight");
        Run closed = run("moves", "close", vm.toString(), "--in-flight", "--config", config.toString());
        assertThat(closed.exit()).as(closed.err()).isZero();
        assertThat(closed.out()).contains("closed");
        assertThat(run("moves", "--config", config.toString()).out().strip()).isEqualTo("no open moves");
        assertThat(dir.resolve("data/moves/ended")).isDirectoryContaining(p -> p.getFileName().toString()
                .startsWith(vm + "-"));
        assertThat(run("moves", "close", vm.toString(), "--config", config.toString()).exit())
                .isEqualTo(Main.EXIT_REFUSED);
    }

    @Test
    void bringBackNeedsAHostAndTouchesNoneThatNoFailoverOfOursForcedDown() throws Exception {
        Run usage = run("bring-back");
        assertThat(usage.exit()).isEqualTo(Main.EXIT_USAGE);
        assertThat(usage.err()).contains("HOST").contains("(see --help)");

        Files.writeString(dir.resolve("clouds.yaml"), "clouds: {c: {auth: {auth_url: 'http://127.0.0.1:9/v3', "
                + "username: u, password: p, project_name: p}}}\n");
        Path config = dir.resolve("controller.yaml");
        Files.writeString(config, "dataDir: data\nopenstack: {cloudsYaml: clouds.yaml, cloud: c}\n");

        Run notOurs = run("bring-back", "compute1", "--config", config.toString());
        assertThat(notOurs.exit()).as(notOurs.err()).isEqualTo(Main.EXIT_BAD_INPUT);
        assertThat(notOurs.err().strip()).isEqualTo("understudy: host compute1: not forced down by a failover of this "
                + "controller (no record in its data directory), so not ours to bring back");
    }
}
