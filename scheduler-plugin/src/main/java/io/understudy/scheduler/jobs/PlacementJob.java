package io.understudy.scheduler.jobs;

import static java.util.Objects.requireNonNull;

import io.understudy.scheduler.round.Controller;
import jakarta.inject.Inject;
import org.quartz.DisallowConcurrentExecution;
import org.quartz.Job;
import org.quartz.JobExecutionContext;

/** One replica-placement round per firing: logs which secondaries each protected VM should gain or lose. */
@DisallowConcurrentExecution
public final class PlacementJob implements Job {

    private final Controller controller;

    @Inject
    public PlacementJob(Controller controller) {
        this.controller = requireNonNull(controller, "controller is null");
    }

    @Override
    public void execute(JobExecutionContext context) {
        Jobs.inTurn(context, "placement", () -> controller.place(controller.resumeState()));
    }
}
