package io.understudy.agent.bench;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.understudy.agent.testing.Cli;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The bench runs end to end at a tiny size; its figures are reported, never judged here. */
class BenchCommandIT {

    @TempDir
    Path dir;

    @Test
    void tinyBenchReplicatesCorrectlyReportsEveryFigureAndCleansUp() throws Exception {
        Cli.Result r = Cli.run("bench", "delta", "--dir", dir.toString(), "--size", "64M", "--data", "32M");

        assertThat(r.exit()).as(r.err()).isZero();
        List<String> lines = r.out().strip().lines().toList();
        JsonNode json = new ObjectMapper().readTree(lines.get(lines.size() - 1));
        assertThat(json.fieldNames()).toIterable().contains("diffApplySeconds", "firstRunDiffApplySeconds", "fullCopySeconds", "rsyncSeconds",
                "speedupVsFullCopy", "speedupVsRsync", "deltaBytes", "changedBytes", "deltaRatio", "sha256GBps",
                "memoryCopyGBps", "correct", "targetsMet");
        assertThat(json.get("correct").asBoolean()).isTrue();
        assertThat(json.get("diffMode").asText()).as("only the overlay is read").isEqualTo("ABOVE_OLD");
        assertThat(json.get("rewrittenClusters").asLong()).isEqualTo(20);
        assertThat(json.get("changedBytes").asLong()).isPositive();
        assertThat(json.get("deltaRatio").asDouble()).isLessThanOrEqualTo(1.01);
        assertThat(r.out()).contains("diff+apply", "rsync", "full copy", "SHA-256");
        try (Stream<Path> left = Files.list(dir)) {
            assertThat(left).as("the working directory is removed").isEmpty();
        }
    }

    @Test
    void replicationBenchSendsToEachSecondaryAndEveryReplicaComesOutRight() throws Exception {
        Cli.Result r = Cli.run("bench", "replication", "--dir", dir.toString(), "--data", "8M", "--secondaries", "3");

        assertThat(r.exit()).as(r.err()).isZero();
        List<String> lines = r.out().strip().lines().toList();
        JsonNode json = new ObjectMapper().readTree(lines.get(lines.size() - 1));
        assertThat(json.get("correct").asBoolean()).isTrue();
        assertThat(json.get("secondaryMBps")).hasSize(3).allSatisfy(rate -> assertThat(rate.asDouble()).isPositive());
        assertThat(json.get("payloadBytes").asLong()).isEqualTo(8L << 20);
        assertThat(r.out()).contains("secondary 3 throughput", "bytes on the wire");
        try (Stream<Path> left = Files.list(dir)) {
            assertThat(left).as("the working directory is removed").isEmpty();
        }
        for (String bad : List.of("0", "5", "two")) {
            Cli.Result refused = Cli.run("bench", "replication", "--dir", dir.toString(), "--secondaries", bad);
            assertThat(refused.exit()).as(bad + ": " + refused.err()).isEqualTo(2);
            assertThat(refused.err().strip()).as(bad).doesNotContain("\n").startsWith("understudy-agent:");
        }
    }

    @Test
    void badArgumentsAreRefusedWithOneLineAndExit2() {
        for (String[] args : new String[][] {
                {"--change", "150%"}, {"--change", "0"}, {"--size", "64M", "--data", "128M"},
                {"--size", "4Q"}, {"--size", "1000K"}, {"--size", "1T", "--data", "1T"}}) {
            String[] line = Stream.concat(Stream.of("bench", "delta", "--dir", dir.toString()), Stream.of(args))
                    .toArray(String[]::new);
            Cli.Result r = Cli.run(line);
            assertThat(r.exit()).as(String.join(" ", args) + ": " + r.err()).isEqualTo(2);
            assertThat(r.err().strip()).as(String.join(" ", args)).doesNotContain("\n").startsWith("understudy-agent:");
        }
    }
}
