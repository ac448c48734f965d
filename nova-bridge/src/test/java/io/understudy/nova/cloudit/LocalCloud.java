package io.understudy.nova.cloudit;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * The single-machine cloud's script, for what only the machine can do: crash and restart a
 * compute, fence a host; Nova's configuration as the script wrote it; and, on libvirt computes,
 * each host's libvirtd and storage.
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
        return Duration.ofSeconds(Long.parseLong(setting("nova.conf", "service_down_time")));
    }

    /** The computes' driver local-cloud.sh up last set: {@code fake} or {@code libvirt}. */
    String virt() {
        Path file = state.resolve("virt");
        try {
            return Files.exists(file) ? Files.readString(file).strip() : "fake";
        } catch (IOException e) {
            throw new IllegalStateException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    /** The URI of HOST's own libvirtd, as its nova-compute has it. */
    String libvirtUri(String host) {
        return setting(host + ".conf", "connection_uri");
    }

    /** Nova's instances path on libvirt computes: the same path on every host, each host's own storage. */
    Path instancesPath() {
        return state.resolve("instances");
    }

    /** HOST's own storage, which its nova-compute and libvirtd see at the instances path. */
    Path instances(String host) {
        return state.resolve("hosts").resolve(host).resolve("instances");
    }

    /** The state of DOMAIN in HOST's libvirtd ("running", "shut off", ...); empty if it has none. */
    Optional<String> domainState(String host, UUID domain) {
        Result result = exec(List.of("virsh", "-q", "-c", libvirtUri(host), "domstate", domain.toString()));
        return result.status() == 0 ? Optional.of(result.output().strip()) : Optional.empty();
    }

    /**
     * What HOST's libvirtd says of DOMAIN's last completed job (an incoming migration on its
     * target: "Total downtime: N ms", ...); empty when it has nothing to say.
     */
    String completedJob(String host, UUID domain) {
        Result result = exec(List.of("virsh", "-q", "-c", libvirtUri(host), "domjobinfo", domain.toString(), "--completed"));
        return result.status() == 0 ? result.output() : "";
    }

    /** SIGKILLs the host's nova-compute, as a crashed host would stop. */
    void killCompute(String host) {
        run("kill-compute", host);
    }

    /** Starts the host's nova-compute; nothing happens when it runs already. */
    void startCompute(String host) {
        run("start-compute", host);
    }

    /** The controller's process fencer: kills HOST's nova-compute and destroys DOMAIN on its libvirtd. */
    void fence(String host, UUID domain) {
        run("fence", host, "--domain", domain.toString());
    }

    /** The value of KEY in etc/nova/FILE (the first one). */
    private String setting(String file, String key) {
        Path conf = state.resolve("etc/nova").resolve(file);
        try {
            return Files.readAllLines(conf).stream().map(l -> l.replace(" ", ""))
                    .filter(l -> l.startsWith(key + "=")).findFirst()
                    .map(l -> l.substring(key.length() + 1))
                    .orElseThrow(() -> new IllegalStateException(conf + " sets no " + key));
        } catch (IOException e) {
            throw new IllegalStateException("cannot read " + conf + ": " + e.getMessage(), e);
        }
    }

    private void run(String... arguments) {
        List<String> command = new ArrayList<>(List.of("bash", script.toString()));
        command.addAll(List.of(arguments));
        Result result = exec(command);
        if (result.status() != 0) {
            throw new IllegalStateException(String.join(" ", command) + " exited " + result.status() + ": "
                    + result.output());
        }
    }

    private record Result(int status, String output) {
    }

    private static Result exec(List<String> command) {
        try {
            Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
            if (!process.waitFor(60, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new IllegalStateException(String.join(" ", command) + " took over 60 s");
            }
            return new Result(process.exitValue(),
                    new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new IllegalStateException("cannot run " + String.join(" ", command) + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while running " + String.join(" ", command), e);
        }
    }
}
