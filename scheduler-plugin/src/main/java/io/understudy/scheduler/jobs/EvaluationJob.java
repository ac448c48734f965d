package io.understudy.scheduler.jobs;

import static java.util.Objects.requireNonNull;

import io.understudy.scheduler.round.Controller;
import io.understudy.scheduler.round.RoundState;
import jakarta.inject.Inject;
import java.util.Optional;
import org.quartz.DisallowConcurrentExecution;
import org.quartz.Job;
import org.quartz.JobDataMap;
import org.quartz.JobExecutionContext;
import org.quartz.PersistJobDataAfterExecution;
import org.quartz.SchedulerException;

/** One evaluation round per firing; the round's state goes back into the job's data for the next. */
@DisallowConcurrentExecution
@PersistJobDataAfterExecution
public final class EvaluationJob implements Job {

    static final String STATE = "state";

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
        JobDataMap data = context.getJobDetail().getJobDataMap();
        RoundState state = StateCodec.decode(data.getString(STATE)).orElseGet(controller::resumeState);
        String instance;
        try {
            instance = context.getScheduler().getSchedulerInstanceId();
        } catch (SchedulerException e) {
            instance = "?";
        }
        RoundState next = controller.evaluate(state, instance,
                Optional.ofNullable(context.getScheduledFireTime()).map(java.util.Date::toInstant));
        data.put(STATE, StateCodec.encode(next));
    }
}
