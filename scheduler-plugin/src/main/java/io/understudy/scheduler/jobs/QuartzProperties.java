package io.understudy.scheduler.jobs;

import io.understudy.scheduler.config.JobsConfig;
import java.util.Optional;
import java.util.Properties;

/** Quartz's properties for a {@link JobsConfig}. Pure, so its tests see exactly what Quartz gets. */
final class QuartzProperties {

    static final String SCHEDULER_NAME = "understudy";
    static final String DATA_SOURCE = "understudy";

    private QuartzProperties() {
    }

    static Properties of(JobsConfig config, Optional<String> password) {
        Properties p = new Properties();
        p.setProperty("org.quartz.scheduler.instanceName", SCHEDULER_NAME);
        p.setProperty("org.quartz.scheduler.instanceId", config.instanceId());
        p.setProperty("org.quartz.scheduler.skipUpdateCheck", "true");
        // One thread per job: the two jobs never run twice at once anyway (@DisallowConcurrentExecution).
        p.setProperty("org.quartz.threadPool.threadCount", "2");
        p.setProperty("org.quartz.threadPool.makeThreadsDaemons", "true");
        // A round more than one interval late is skipped, not run late (misfire: next with remaining count).
        p.setProperty("org.quartz.jobStore.misfireThreshold",
                Long.toString(Math.max(1000, config.evaluationInterval().toMillis())));
        if (config.store() == JobsConfig.Store.MEMORY) {
            p.setProperty("org.quartz.jobStore.class", "org.quartz.simpl.RAMJobStore");
            return p;
        }
        p.setProperty("org.quartz.jobStore.class", "org.quartz.impl.jdbcjobstore.JobStoreTX");
        p.setProperty("org.quartz.jobStore.driverDelegateClass", "org.quartz.impl.jdbcjobstore.StdJDBCDelegate");
        p.setProperty("org.quartz.jobStore.dataSource", DATA_SOURCE);
        p.setProperty("org.quartz.jobStore.tablePrefix", "QRTZ_");
        p.setProperty("org.quartz.jobStore.isClustered", "true");
        p.setProperty("org.quartz.jobStore.clusterCheckinInterval", Long.toString(config.checkinInterval().toMillis()));
        // Job data as strings only: what the round state is encoded to; no Java serialization in the database.
        p.setProperty("org.quartz.jobStore.useProperties", "true");
        String ds = "org.quartz.dataSource." + DATA_SOURCE + ".";
        p.setProperty(ds + "provider", "hikaricp");
        p.setProperty(ds + "driver", "org.mariadb.jdbc.Driver");
        p.setProperty(ds + "URL", config.jdbcUrl().orElseThrow());
        p.setProperty(ds + "user", config.jdbcUser().orElseThrow());
        p.setProperty(ds + "password", password.orElse(""));
        p.setProperty(ds + "maxConnections", Integer.toString(config.jdbcPoolSize()));
        p.setProperty(ds + "validationQuery", "SELECT 1");
        return p;
    }
}
