package io.understudy.scheduler.jobs;

import static java.util.Objects.requireNonNull;

import com.google.inject.Injector;
import org.quartz.Job;
import org.quartz.Scheduler;
import org.quartz.spi.JobFactory;
import org.quartz.spi.TriggerFiredBundle;

/** Quartz makes its jobs through Guice, so that they get their collaborators by constructor. */
final class GuiceJobFactory implements JobFactory {

    private final Injector injector;

    GuiceJobFactory(Injector injector) {
        this.injector = requireNonNull(injector, "injector is null");
    }

    @Override
    public Job newJob(TriggerFiredBundle bundle, Scheduler scheduler) {
        return injector.getInstance(bundle.getJobDetail().getJobClass());
    }
}
