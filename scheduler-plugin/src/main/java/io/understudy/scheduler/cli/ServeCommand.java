package io.understudy.scheduler.cli;

import com.google.inject.Guice;
import com.google.inject.Injector;
import io.understudy.nova.cloud.CloudConfig;
import io.understudy.nova.keystone.TokenValidator;
import io.understudy.scheduler.api.ActionsResource;
import io.understudy.scheduler.api.StatusServer;
import io.understudy.scheduler.config.ControllerConfig;
import io.understudy.scheduler.detect.Detection;
import io.understudy.scheduler.detect.Prober;
import io.understudy.scheduler.history.HistoryStore;
import io.understudy.scheduler.jobs.Jobs;
import io.understudy.scheduler.metrics.ControllerMetrics;
import io.understudy.scheduler.moves.BringBack;
import io.understudy.scheduler.moves.FenceConfirmations;
import io.understudy.scheduler.moves.ForcedDownHosts;
import io.understudy.scheduler.moves.Journal;
import io.understudy.scheduler.moves.ManualFences;
import io.understudy.scheduler.moves.ManualMoves;
import io.understudy.scheduler.round.Controller;
import io.understudy.scheduler.round.EvaluationRound;
import io.understudy.scheduler.round.LastRound;
import io.understudy.scheduler.round.ProtectionChoices;
import io.understudy.scheduler.round.RulesSource;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** {@code understudy serve --config FILE}: runs the controller until SIGTERM. */
@Command(name = "serve", description = "Run the controller: evaluation and placement rounds on Quartz, failure detection.")
final class ServeCommand implements Callable<Integer> {

    private static final Logger log = LoggerFactory.getLogger(ServeCommand.class);

    @Mixin
    ConfigOption config;

    @Override
    public Integer call() throws Exception {
        ControllerConfig c = config.load();
        Injector injector = Guice.createInjector(ConfigOption.modules(c));
        // Read the rules now: an invalid file stops the controller before anything is scheduled.
        RulesSource rules = injector.getInstance(RulesSource.class);
        injector.getInstance(Controller.class);
        log.info("rules: {} ({} rules); history: {}", rules.current().source(), rules.current().rules().size(),
                c.history());
        if (c.dryRun()) {
            log.warn("dryRun: true: decisions are recorded, nothing is moved and no protection is assigned");
        }
        // Before any round runs: a status API without a usable token stops the controller here.
        Optional<String> apiToken = c.api().listen().map(l -> StatusServer.clusterToken(c.agents()));
        Jobs jobs = Jobs.start(c.jobs(), injector);
        Prober prober = injector.getInstance(Prober.class);
        prober.start(jobs::evaluateNow);
        String instance = jobs.scheduler().getSchedulerInstanceId();
        // Keystone tokens are validated with the controller's own credentials, those it reads Nova with.
        Optional<StatusServer> api = apiToken.map(token -> StatusServer.start(c.api(), token,
                Optional.of(TokenValidator.create(injector.getInstance(CloudConfig.class),
                        c.openstack().requestTimeout())),
                new StatusServer.Sources(injector.getInstance(HistoryStore.class), injector.getInstance(Detection.class),
                        injector.getInstance(Journal.class), injector.getInstance(ControllerMetrics.class),
                        injector.getInstance(LastRound.class), injector.getInstance(ForcedDownHosts.class),
                        Optional.of(new ActionsResource.Actions(injector.getInstance(ManualMoves.class),
                                injector.getInstance(ManualFences.class), injector.getInstance(FenceConfirmations.class),
                                injector.getInstance(BringBack.class), injector.getInstance(ProtectionChoices.class),
                                () -> rules.current().policy().replicationInterval(),
                                () -> injector.getInstance(EvaluationRound.class)
                                        .run(injector.getInstance(Controller.class).resumeState(), false, true)))),
                instance, c.dryRun()));
        c.api().listen().ifPresent(l -> log.info("status API on {}:{} (/v1/health open; the rest and /metrics with a "
                + "Keystone token: reading with a role of {}, acting with a role of {}; or with the cluster token; "
                + "idle timeout {}s)", l.getHostString(), api.orElseThrow().port(), c.api().keystone().readerRoles(),
                c.api().keystone().actorRoles(), c.api().idleTimeout().toSeconds()));
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            log.info("stopping");
            api.ifPresent(StatusServer::close);
            prober.close();
            try {
                jobs.close();
            } catch (Exception e) {
                log.warn("stopping the scheduler: {}", e.getMessage());
            }
            stopped.countDown();
        }, "shutdown"));
        stopped.await();
        return Main.EXIT_OK;
    }
}
