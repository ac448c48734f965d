package io.understudy.scheduler.cli;

import com.google.inject.Injector;
import io.understudy.scheduler.config.ControllerConfig;
import io.understudy.scheduler.moves.ForcedDownHosts;
import io.understudy.scheduler.round.Controller;
import io.understudy.scheduler.round.EvaluationRound;
import io.understudy.scheduler.round.RoundResult;
import io.understudy.scheduler.stats.NovaReadException;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** What {@code plan} and {@code status} share: run one round now, acting on nothing. */
final class RoundOptions {

    @Mixin
    ConfigOption config;

    @Option(names = "--json", description = "JSON instead of tables")
    boolean json;

    /** The serving controller's detection, as read by {@link #run}. */
    ServingDetection detection;

    /** The hosts failovers forced down and where bringing them back stands, as read by {@link #run}. */
    ForcedDownHosts forcedDown;

    /**
     * A dry round from the state the serving controller last recorded (its ongoing breaches and
     * cooldowns) and with the hosts its detection declared failed, so that it judges as the
     * controller does.
     *
     * @throws NovaReadException when Nova could not be read
     */
    RoundResult run() {
        ControllerConfig c = config.load();
        detection = ServingDetection.fetch(c);
        Injector injector = ConfigOption.injector(c, detection);
        forcedDown = injector.getInstance(ForcedDownHosts.class);
        RoundResult result = injector.getInstance(EvaluationRound.class)
                .run(injector.getInstance(Controller.class).resumeState(), false, true);
        if (!result.ok()) {
            throw new NovaReadException(result.failure().orElseThrow(), null);
        }
        return result;
    }
}
