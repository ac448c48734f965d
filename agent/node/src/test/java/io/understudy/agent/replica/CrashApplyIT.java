package io.understudy.agent.replica;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.understudy.agent.testing.Cli;
import io.understudy.agent.testing.Qemu;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Kills the JVM (SIGKILL, a child process) in the middle of {@code image apply}, again and again
 * at growing depths into the write, and checks each time that the replica's chain is intact: the
 * replica reads as before and is clean, and the layer either does not exist or is complete.
 */
class CrashApplyIT {

    @TempDir
    Path dir;

    @Test
    void aKilledApplyLeavesTheOldChainOrTheNewOne() throws Exception {
        Path old = dir.resolve("old.qcow2");
        Qemu.img("create", "-q", "-f", "qcow2", old.toString(), "512M");
        Qemu.io(old, "write -P 0x11 0 160M");
        Path neu = dir.resolve("new.qcow2");
        Qemu.img("create", "-q", "-f", "qcow2", "-b", "old.qcow2", "-F", "qcow2", neu.toString());
        Qemu.io(neu, "write -P 0x22 8M 120M", "write -P 0x23 300M 60M", "write -z 140M 8M");
        Path delta = dir.resolve("delta");
        Cli.Result diff = Cli.run("image", "diff", "--from", old.toString(), "--to", neu.toString(), "--out", delta.toString());
        assertThat(diff.exit()).as(diff.err()).isZero();

        Files.createDirectory(dir.resolve("replica"));
        Path replica = Files.copy(old, dir.resolve("replica/disk.qcow2"));
        Path layer = dir.resolve("replica/layer.qcow2");

        long[] killAtBytes = {0, 1 << 20, 16 << 20, 48 << 20, 96 << 20, 150 << 20, 170 << 20};
        int killedMidWrite = 0;
        for (long killAt : killAtBytes) {
            Process child = startApply(replica, delta, layer);
            boolean midWrite = waitForPartialFile(child, layer, killAt);
            child.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
            if (midWrite) {
                killedMidWrite++;
            }
            assertThat(Qemu.identical(replica, old)).as("replica unchanged after a kill at %d bytes", killAt).isTrue();
            assertThat(Qemu.check(replica).path("corruptions").asLong(0)).isZero();
            if (Files.exists(layer)) {
                assertThat(Qemu.identical(layer, neu)).as("a visible layer is complete").isTrue();
                Files.delete(layer);
            }
        }
        assertThat(killedMidWrite).as("kills that landed while the layer was being written").isGreaterThanOrEqualTo(3);

        // The next apply to the same name clears what the killed ones left and completes.
        Cli.Result apply = Cli.run("image", "apply", "--base", replica.toString(), "--delta", delta.toString(),
                "--out", layer.toString());
        assertThat(apply.exit()).as(apply.err()).isZero();
        assertThat(Qemu.identical(layer, neu)).isTrue();
        JsonNode check = Qemu.check(layer);
        assertThat(check.path("corruptions").asLong(0) + check.path("leaks").asLong(0)).isZero();
        try (Stream<Path> files = Files.list(dir.resolve("replica"))) {
            assertThat(files.map(p -> p.getFileName().toString()).toList())
                    .containsExactlyInAnyOrder("disk.qcow2", "layer.qcow2");
        }
    }

    private static Process startApply(Path replica, Path delta, Path layer) throws IOException {
        String jar = System.getProperty("understudy.agent.jar");
        assertThat(jar).as("failsafe passes the packaged jar").isNotNull();
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        return new ProcessBuilder(List.of(java, "-jar", jar, "image", "apply", "--base", replica.toString(),
                "--delta", delta.toString(), "--out", layer.toString()))
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .start();
    }

    /**
     * Waits until the apply's temporary layer holds at least {@code bytes} (or the child ends);
     * true when the kill that follows lands while the temporary file exists.
     */
    private static boolean waitForPartialFile(Process child, Path layer, long bytes) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (child.isAlive() && System.nanoTime() < deadline) {
            Path partial = partialOf(layer);
            if (partial != null && sizeOrZero(partial) >= bytes) {
                return true;
            }
            TimeUnit.MILLISECONDS.sleep(2);
        }
        return false;
    }

    private static Path partialOf(Path layer) throws IOException {
        try (Stream<Path> files = Files.list(layer.getParent())) {
            return files.filter(p -> p.getFileName().toString().startsWith("." + layer.getFileName() + ".partial-"))
                    .findFirst().orElse(null);
        }
    }

    private static long sizeOrZero(Path p) {
        try {
            return Files.size(p);
        } catch (IOException e) {
            return 0;
        }
    }
}
