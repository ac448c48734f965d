package io.understudy.nova.cloudit;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The single-machine cloud's script, for what only the machine can do: crash and restart a
 * compute.
 */
final class LocalCloud {

    private final Path script;

    LocalCloud(Path script) {
        this.script = requireNonNull(script, "script is null");
    }

    /** SIGKILLs the host's nova-compute, as a crashed host would stop. */
    void killCompute(String host) {
        run("kill-compute", host);
    }

    /** Starts the host's nova-compute; nothing happens when it runs already. */
    void startCompute(String host) {
        run("start-compute", host);
    }

    private void run(String... arguments) {
        List<String> command = new java.util.ArrayList<>(List.of("bash", script.toString()));
        command.addAll(List.of(arguments));
        try {
            Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
            if (!process.waitFor(60, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new IllegalStateException(String.join(" ", command) + " took over 60 s");
            }
            String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (process.exitValue() != 0) {
                throw new IllegalStateException(String.join(" ", command) + " exited " + process.exitValue() + ": " + output);
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot run " + String.join(" ", command) + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while running " + String.join(" ", command), e);
        }
    }
}
