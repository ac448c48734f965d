package io.understudy.scheduler.round;

import static java.util.Objects.requireNonNull;

import com.google.inject.AbstractModule;
import com.google.inject.Provides;
import com.google.inject.Singleton;
import com.google.inject.multibindings.OptionalBinder;
import io.understudy.scheduler.config.ControllerConfig;
import io.understudy.scheduler.history.HistoryStore;
import io.understudy.scheduler.metrics.ControllerMetrics;
import io.understudy.scheduler.placement.Assignments;
import io.understudy.scheduler.records.Records;
import io.understudy.scheduler.stats.AgentReader;
import io.understudy.scheduler.stats.NovaReader;
import java.time.Clock;

/**
 * Judging and deciding: the round, the failed hosts it is told of (failure detection's, when
 * its module is installed), and the controller that records each round in history. What the
 * round acts through (its move executor, the assignments) comes from the moves module.
 */
public final class RoundModule extends AbstractModule {

    private final ControllerConfig config;

    public RoundModule(ControllerConfig config) {
        this.config = requireNonNull(config, "config is null");
    }

    @Override
    protected void configure() {
        bind(Clock.class).toInstance(Clock.systemUTC());
        // Failure detection's module sets the failed hosts; without it, none ever fails.
        OptionalBinder.newOptionalBinder(binder(), FailedHosts.class).setDefault().toInstance(FailedHosts.NONE);
    }

    @Provides
    @Singleton
    EvaluationRound round(NovaReader nova, AgentReader agents, RulesSource rules, FailedHosts failed,
            MoveExecutor executor, Clock clock) {
        return new EvaluationRound(nova, agents, rules, failed, executor, clock);
    }

    @Provides
    @Singleton
    LastRound lastRound() {
        return new LastRound();
    }

    @Provides
    @Singleton
    Controller controller(EvaluationRound round, HistoryStore history, Assignments assignments, Records records,
            ControllerMetrics metrics, LastRound last) {
        return new Controller(round, history, assignments, new RoundStates(records), metrics, last, config.dryRun(),
                config.recordStays());
    }
}
