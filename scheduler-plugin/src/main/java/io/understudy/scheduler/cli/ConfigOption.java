package io.understudy.scheduler.cli;

import com.google.inject.Guice;
import com.google.inject.Injector;
import com.google.inject.Module;
import com.google.inject.multibindings.OptionalBinder;
import com.google.inject.util.Modules;
import io.understudy.scheduler.config.ConfigLoader;
import io.understudy.scheduler.config.ControllerConfig;
import io.understudy.scheduler.detect.DetectModule;
import io.understudy.scheduler.history.HistoryModule;
import io.understudy.scheduler.metrics.MetricsModule;
import io.understudy.scheduler.moves.MovesModule;
import io.understudy.scheduler.records.RecordsModule;
import io.understudy.scheduler.round.FailedHosts;
import io.understudy.scheduler.round.RoundModule;
import io.understudy.scheduler.round.RulesModule;
import io.understudy.scheduler.stats.AgentsModule;
import io.understudy.scheduler.stats.OpenStackModule;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Option;

/** {@code --config FILE}, shared by the commands that talk to the cloud, and the wiring they share. */
final class ConfigOption {

    static final String DEFAULT = "/etc/understudy/controller.yaml";

    @Option(names = "--config", paramLabel = "FILE", defaultValue = DEFAULT,
            description = "the controller's configuration (default: ${DEFAULT-VALUE})")
    Path file;

    ControllerConfig load() {
        return new ConfigLoader().load(file);
    }

    /**
     * The modules every command uses, one per concern: metrics, Nova, agents, rules, rounds,
     * history, shared records, moves, detection.
     */
    static List<Module> modules(ControllerConfig config) {
        List<Module> modules = new ArrayList<>();
        modules.add(new MetricsModule());
        modules.add(new OpenStackModule(config.openstack(), System.getenv()));
        modules.add(new AgentsModule(config.agents()));
        modules.add(new RulesModule(config.rules()));
        modules.add(new RoundModule(config));
        modules.add(new HistoryModule(config.history()));
        modules.add(new RecordsModule(config.jobs(), config.dataDir()));
        modules.add(new MovesModule(config.moves(), config.releaseDeletedAfter()));
        modules.add(new DetectModule(config.detection(), config.agents()));
        return modules;
    }

    static Injector injector(ControllerConfig config) {
        return Guice.createInjector(modules(config));
    }

    /** The same, with FAILED as the failed hosts: a command's view of the serving controller's detection. */
    static Injector injector(ControllerConfig config, FailedHosts failed) {
        return Guice.createInjector(Modules.override(modules(config)).with(binder ->
                OptionalBinder.newOptionalBinder(binder, FailedHosts.class).setBinding().toInstance(failed)));
    }
}
