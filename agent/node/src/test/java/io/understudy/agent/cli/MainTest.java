package io.understudy.agent.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.understudy.agent.testing.Cli;
import java.util.Arrays;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** The agent's command line: help on every command. */
class MainTest {

    @Test
    void everyCommandAnswersHelpWithItsUsageAndExitCodes() {
        Stream.of(new CommandLine(new Main())).flatMap(MainTest::withSubcommands).forEach(command -> {
            String name = command.getCommandSpec().qualifiedName(" ");
            String[] words = name.split(" ");
            String[] args = Arrays.copyOfRange(words, 1, words.length + 1);
            args[args.length - 1] = "--help";
            Cli.Result r = Cli.run(args);
            assertThat(r.exit()).as(name).isZero();
            assertThat(r.out()).as(name).startsWith("Usage: " + name + " ").contains("Exit codes:", "2   bad arguments");
        });
        assertThat(Cli.run("status", "--help").out()).contains("4   the agent did not answer");
        assertThat(Cli.run("image", "check", "--help").out()).contains("3   damaged");
    }

    private static Stream<CommandLine> withSubcommands(CommandLine command) {
        return Stream.concat(Stream.of(command),
                command.getSubcommands().values().stream().flatMap(MainTest::withSubcommands));
    }
}
