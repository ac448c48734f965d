package io.understudy.scheduler.jobs;

import static java.util.Objects.requireNonNull;

import com.google.inject.Injector;
import io.understudy.scheduler.config.JobsConfig;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Optional;
import io.understudy.scheduler.yaml.Durations;
import org.quartz.JobBuilder;
import org.quartz.JobDetail;
import org.quartz.JobKey;
import org.quartz.JobPersistenceException;
import org.quartz.ObjectAlreadyExistsException;
import org.quartz.Scheduler;
import org.quartz.SchedulerException;
import org.quartz.SimpleScheduleBuilder;
import org.quartz.SimpleTrigger;
import org.quartz.Trigger;
import org.quartz.TriggerBuilder;
import org.quartz.TriggerKey;
import org.quartz.impl.StdSchedulerFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Starts and stops the controller's Quartz scheduler with its two jobs. */
public final class Jobs implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(Jobs.class);

    static final JobKey EVALUATION = JobKey.jobKey("evaluation", "understudy");
    static final JobKey PLACEMENT = JobKey.jobKey("placement", "understudy");

    private final Scheduler scheduler;
    private final RoundLock lock;

    private Jobs(Scheduler scheduler, RoundLock lock) {
        this.scheduler = scheduler;
        this.lock = lock;
    }

    /**
     * Creates Quartz's tables when asked and missing, schedules the jobs unless a peer already
     * has, and starts. With the JDBC store, the peers share the triggers: whichever controller
     * acquires a firing runs it.
     */
    private static final int SCHEDULE_ATTEMPTS = 5;

    public static Jobs start(JobsConfig config, Injector injector) throws SchedulerException {
        requireNonNull(config, "config is null");
        Optional<Database> database = config.store() == JobsConfig.Store.JDBC
                ? Optional.of(new Database(config)) : Optional.empty();
        Optional<String> password = database.flatMap(Database::password);
        if (database.isPresent() && config.createSchema()) {
            try (Connection c = database.get().open()) {
                if (QuartzSchema.ensure(c)) {
                    log.info("created Quartz's tables in {}", config.jdbcUrl().get());
                }
            } catch (SQLException e) {
                throw new SchedulerException("cannot prepare Quartz's tables at " + config.jdbcUrl().get() + ": "
                        + e.getMessage(), e);
            }
        }
        StdSchedulerFactory factory = new StdSchedulerFactory(QuartzProperties.of(config, password));
        Scheduler scheduler = factory.getScheduler();
        scheduler.setJobFactory(new GuiceJobFactory(injector));
        RoundLock lock = new RoundLock(database.map(Database::connector));
        scheduler.getContext().put(RoundLock.KEY, lock);
        schedule(scheduler, EVALUATION, EvaluationJob.class, config.evaluationInterval());
        schedule(scheduler, PLACEMENT, PlacementJob.class, config.placementInterval());
        scheduler.start();
        log.info("scheduler {} started ({} store): evaluation every {}, placement every {}",
                scheduler.getSchedulerInstanceId(), config.store().name().toLowerCase(java.util.Locale.ROOT),
                Durations.format(config.evaluationInterval()), Durations.format(config.placementInterval()));
        return new Jobs(scheduler, lock);
    }

    /** Runs ROUND holding the lock every controller's rounds share; false when its turn never came. */
    static boolean inTurn(org.quartz.JobExecutionContext context, String what, Runnable round) {
        RoundLock lock;
        try {
            lock = (RoundLock) context.getScheduler().getContext().get(RoundLock.KEY);
        } catch (SchedulerException e) {
            throw new IllegalStateException("the scheduler's context cannot be read: " + e.getMessage(), e);
        }
        boolean ran = lock.holding(RoundLock.WAIT, () -> {
            round.run();
            return true;
        }).orElse(false);
        if (!ran) {
            log.info("{} round skipped: another round held the lock for {}", what, Durations.format(RoundLock.WAIT));
        }
        return ran;
    }

    /**
     * An evaluation round now, beside the scheduled ones (failure detection's: a failed host's VMs
     * must not wait for the next interval). It goes through Quartz like every round: with the JDBC
     * store, whichever controller acquires it runs it, and never while another round runs.
     */
    public void evaluateNow() {
        try {
            scheduler.triggerJob(EVALUATION);
        } catch (SchedulerException e) {
            log.error("cannot ask for an evaluation round now: {}", e.getMessage());
        }
    }

    public Scheduler scheduler() {
        return scheduler;
    }

    @Override
    public void close() throws SchedulerException {
        // Let a running round finish: its history line and job state are written at its end.
        scheduler.shutdown(true);
        lock.close();
    }

    private static void schedule(Scheduler scheduler, JobKey key, Class<? extends org.quartz.Job> type,
            Duration interval) throws SchedulerException {
        for (int attempt = 1; ; attempt++) {
            try {
                scheduleOnce(scheduler, key, type, interval);
                return;
            } catch (JobPersistenceException e) {
                // Controllers starting at once on an empty store can deadlock in the database:
                // the one it picks to fail is meant to try again.
                if (attempt == SCHEDULE_ATTEMPTS || !transientDatabaseFailure(e)) {
                    throw e;
                }
                log.info("scheduling {}: {}; trying again", key.getName(), e.getMessage());
                try {
                    Thread.sleep(200L * attempt);
                } catch (InterruptedException interrupted) {
                    Thread.currentThread().interrupt();
                    throw e;
                }
            }
        }
    }

    /** A database error that a retried transaction may not meet again: SQLSTATE class 40 (deadlock, serialization). */
    static boolean transientDatabaseFailure(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof SQLException sql && sql.getSQLState() != null && sql.getSQLState().startsWith("40")) {
                return true;
            }
        }
        return false;
    }

    private static void scheduleOnce(Scheduler scheduler, JobKey key, Class<? extends org.quartz.Job> type,
            Duration interval) throws SchedulerException {
        TriggerKey triggerKey = TriggerKey.triggerKey(key.getName(), key.getGroup());
        Trigger trigger = TriggerBuilder.newTrigger().withIdentity(triggerKey).forJob(key).startNow()
                .withSchedule(SimpleScheduleBuilder.simpleSchedule().withIntervalInMilliseconds(interval.toMillis())
                        .repeatForever().withMisfireHandlingInstructionNextWithRemainingCount())
                .build();
        if (!scheduler.checkExists(key)) {
            JobDetail job = JobBuilder.newJob(type).withIdentity(key).storeDurably().build();
            try {
                scheduler.scheduleJob(job, trigger);
                return;
            } catch (ObjectAlreadyExistsException e) {
                // A peer starting at the same moment scheduled it first: fine, it is shared.
            }
        }
        Trigger existing = scheduler.getTrigger(triggerKey);
        if (existing instanceof SimpleTrigger simple && simple.getRepeatInterval() == interval.toMillis()) {
            return;
        }
        if (existing == null) {
            scheduler.scheduleJob(trigger);
        } else {
            log.info("{} interval changed to {}: rescheduling", key.getName(), Durations.format(interval));
            scheduler.rescheduleJob(triggerKey, trigger);
        }
    }
}
