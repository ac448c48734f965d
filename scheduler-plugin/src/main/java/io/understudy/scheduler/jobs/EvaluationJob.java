package io.understudy.scheduler.jobs;

import static java.util.Objects.requireNonNull;

import io.understudy.scheduler.round.Controller;
import jakarta.inject.Inject;
import java.util.Optional;
import org.quartz.DisallowConcurrentExecution;
import org.quartz.Job;
import org.quartz.JobExecutionContext;
import org.quartz.SchedulerException;

/**
 * One evaluation round per firing. Its state (breaches, cooldowns) is not the job's data, which a
 * firing reads before it waits for the round lock, but the shared records, read in turn.
 */
@DisallowConcurrentExecution
public final class EvaluationJob implements Job {

    private final Controller controller;

    @Inject
    public EvaluationJob(Controller controller) {
        this.controller = requireNonNull(controller, "controller is null");
    }

    @Override
    public void execute(JobExecutionContext context) {
        Jobs.inTurn(context, "evaluation", () -> evaluate(context));
    }

    private void evaluate(JobExecutionContext context) {
        String instance;
        try {
            instance = context.getScheduler().getSchedulerInstanceId();
        } catch (SchedulerException e) {
            instance = "?";
        }
        controller.evaluate(controller.resumeState(), instance,
                Optional.ofNullable(context.getScheduledFireTime()).map(java.util.Date::toInstant));
    }
}
