package io.understudy.scheduler.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.inject.Injector;
import io.understudy.scheduler.config.ConfigLoader;
import io.understudy.scheduler.history.HistoryStore;
import io.understudy.scheduler.history.JsonLinesHistory;
import io.understudy.scheduler.round.Controller;
import io.understudy.scheduler.round.RulesSource;
import java.nio.file.Files;
import java.nio.file.Path;
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
    }
}
