package io.understudy.nova.cloudit;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The single-machine cloud's script, for what only the machine can do: crash and restart a
 * compute; and Nova's configuration as the script wrote it.
 */
final class LocalCloud {

    private final Path script;
    private final Path state;

    /** @param state the cloud's state directory (clouds.yaml's folder) */
    LocalCloud(Path script, Path state) {
        this.script = requireNonNull(script, "script is null");
        this.state = requireNonNull(state, "state is null");
    }

    /** Nova's service_down_time as local-cloud.sh up configured it. */
    Duration serviceDownTime() {
        Path conf = state.resolve("etc/nova/nova.conf");
        try {
            return Files.readAllLines(conf).stream().map(l -> l.replace(" ", ""))
                    .filter(l -> l.startsWith("service_down_time=")).findFirst()
                    .map(l -> Duration.ofSeconds(Long.parseLong(l.substring("service_down_time=".length()))))
                    .orElseThrow(() -> new IllegalStateException(conf + " sets no service_down_time"));
        } catch (IOException e) {
            throw new IllegalStateException("cannot read " + conf + ": " + e.getMessage(), e);
        }
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
