package io.understudy.scheduler.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.inject.Injector;
import io.understudy.scheduler.bmc.PowerChannel;
import io.understudy.scheduler.config.ConfigLoader;
import io.understudy.scheduler.detect.Detection;
import io.understudy.scheduler.detect.Prober;
import io.understudy.scheduler.history.HistoryStore;
import io.understudy.scheduler.history.JsonLinesHistory;
import io.understudy.scheduler.round.Controller;
import io.understudy.scheduler.round.FailedHosts;
import io.understudy.scheduler.round.RulesSource;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The modules every command composes wire up from a configuration alone, without touching the network. */
class WiringTest {

    @TempDir
    Path dir;

    @Test
    void everyModuleComposesIntoAController() throws Exception {
        Files.writeString(dir.resolve("rules.yaml"), "rules: [{parameter: cpu_percent, max: 90}]\n");
        Files.writeString(dir.resolve("clouds.yaml"), "clouds: {c: {auth: {auth_url: 'http://127.0.0.1:9/v3', "
                + "username: u, password: p, project_name: p}}}\n");
        Path config = dir.resolve("controller.yaml");
        Files.writeString(config, "dataDir: data\nrules: rules.yaml\nopenstack: {cloudsYaml: clouds.yaml, cloud: c}\n");
        Injector injector = ConfigOption.injector(new ConfigLoader().load(config));
        assertThat(injector.getInstance(Controller.class)).isSameAs(injector.getInstance(Controller.class));
        assertThat(injector.getInstance(RulesSource.class).current().rules()).hasSize(1);
        assertThat(((JsonLinesHistory) injector.getInstance(HistoryStore.class)).file())
                .isEqualTo(dir.resolve("data/history.jsonl"));
        // Failure detection tells the rounds which hosts failed; serve starts its prober.
        assertThat(injector.getInstance(FailedHosts.class)).isSameAs(injector.getInstance(Detection.class));
        injector.getInstance(Prober.class).close();
        // plan and status judge with the serving controller's detection instead.
        FailedHosts served = () -> Set.of("compute1");
        assertThat(ConfigOption.injector(new ConfigLoader().load(config), served).getInstance(FailedHosts.class))
                .isSameAs(served);
    }

    @Test
    void theBmcsAreReadAtStartAndAnUnreadableFileStopsTheControllerInOneLine() throws Exception {
        Files.writeString(dir.resolve("clouds.yaml"), "clouds: {c: {auth: {auth_url: 'http://127.0.0.1:9/v3', "
                + "username: u, password: p, project_name: p}}}\n");
        Files.writeString(dir.resolve("compute2.bmc"), "admin:secret\n");
        Path config = dir.resolve("controller.yaml");
        String fencing = "dataDir: data\nopenstack: {cloudsYaml: clouds.yaml, cloud: c}\nmoves:\n  fencing:\n"
                + "    hosts:\n      compute2: {method: redfish, bmc: 'https://10.0.0.2', credentials: %s}\n";
        Files.writeString(config, fencing.formatted("compute2.bmc"));
        Injector injector = ConfigOption.injector(new ConfigLoader().load(config));
        assertThat(injector.getInstance(PowerChannel.class).hosts()).containsExactly("compute2");

        Files.writeString(config, fencing.formatted("missing.bmc"));
        Injector broken = ConfigOption.injector(new ConfigLoader().load(config));
        assertThatThrownBy(() -> broken.getInstance(Controller.class)).satisfies(e -> {
            assertThat(Main.exitCode(Main.unwrap(e))).isEqualTo(Main.EXIT_BAD_INPUT);
            assertThat(Main.describe(Main.unwrap(e))).isEqualTo("moves.fencing.hosts.compute2: BMC credentials "
                    + dir.resolve("missing.bmc") + ": no such file");
        });
    }
}
