package io.understudy.dist;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The devstack plugin through its phases as devstack runs them, installing the release this module
 * has just made: {@code devstack/test/plugin-phases.sh} runs them and checks what each did. With
 * {@code understudy.cloud.config} (the cloud profile), against that cloud (its admin is the cloud
 * "understudy", as devstack/local-cloud.sh writes it); without, with its Keystone calls recorded.
 */
class DevstackPluginIT {

    private static final Path REPO = Path.of(System.getProperty("understudy.repo", ".."));

    @Test
    @Timeout(value = 5, unit = TimeUnit.MINUTES)
    void thePluginsPhasesDoWhatTheySay() throws Exception {
        List<String> command = new ArrayList<>(List.of("bash", REPO.resolve("devstack/test/plugin-phases.sh").toString(),
                "--tarball", System.getProperty("understudy.release")));
        String cloud = System.getProperty("understudy.cloud.config", "");
        if (!cloud.isEmpty()) {
            command.addAll(List.of("--cloud", cloud, "understudy"));
        }
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), UTF_8);
        System.out.println(out);
        assertThat(p.waitFor()).as(out).isZero();
    }
}
