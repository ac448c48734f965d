package io.understudy.scheduler.moves;

import static java.util.Objects.requireNonNull;

import io.understudy.nova.action.Fenced;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * Fences by running a command — on the single-machine cloud, {@code devstack/local-cloud.sh fence
 * HOST}, which stops that host's nova-compute (and agent and guest): the tests' and the demo's
 * stand-in for a power-off. {@code {host}} and {@code {vm}} in the command are replaced; exit 0
 * within the timeout is the proof, anything else (another exit, the timeout, no such program) is
 * a refusal with the command's last line of output.
 */
public final class ProcessFencer implements Fencer {

    private final List<String> command;
    private final Duration timeout;
    private final Clock clock;

    public ProcessFencer(List<String> command, Duration timeout, Clock clock) {
        this.command = List.copyOf(requireNonNull(command, "command is null"));
        this.timeout = requireNonNull(timeout, "timeout is null");
        this.clock = requireNonNull(clock, "clock is null");
    }

    @Override
    public Fence fence(String host, UUID vm) {
        List<String> line = command.stream().map(a -> a.replace("{host}", host).replace("{vm}", vm.toString()))
                .toList();
        String shown = String.join(" ", line);
        Path output = null;
        try {
            // Output to a file, not a pipe: a child left running must not hold the fencer up reading.
            output = Files.createTempFile("understudy-fence-", ".log");
            Process process = new ProcessBuilder(line).redirectErrorStream(true).redirectOutput(output.toFile())
                    .start();
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                process.descendants().forEach(ProcessHandle::destroyForcibly);
                process.destroyForcibly();
                return Fence.refused("process: '" + shown + "' did not end within " + timeout.toMillis() + " ms"
                        + said(output), 0, 0);
            }
            if (process.exitValue() != 0) {
                return Fence.refused("process: '" + shown + "' exited " + process.exitValue() + said(output), 0, 0);
            }
            return Fence.done(new Fenced(host, "process: '" + shown + "' exited 0" + said(output), clock.instant()),
                    host + " fenced: '" + shown + "' exited 0" + said(output), 0, 0);
        } catch (IOException e) {
            return Fence.refused("process: '" + shown + "' could not run: " + e.getMessage(), 0, 0);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Fence.refused("process: interrupted while '" + shown + "' ran", 0, 0);
        } finally {
            if (output != null) {
                output.toFile().delete();
            }
        }
    }

    /** ": LAST LINE" of what the command printed, or nothing. */
    private static String said(Path output) {
        try {
            List<String> lines = Files.readAllLines(output, StandardCharsets.UTF_8).stream()
                    .filter(l -> !l.isBlank()).toList();
            if (lines.isEmpty()) {
                return "";
            }
            String last = lines.get(lines.size() - 1).strip();
            return ": " + last.substring(0, Math.min(300, last.length()));
        } catch (IOException e) {
            return "";
        }
    }
}
