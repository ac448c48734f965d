package io.understudy.scheduler.records;

import static java.util.Objects.requireNonNull;

import com.google.inject.AbstractModule;
import com.google.inject.Provides;
import com.google.inject.Singleton;
import io.understudy.scheduler.config.JobsConfig;
import io.understudy.scheduler.jobs.Database;
import java.nio.file.Path;

/**
 * Where the shared records live: in the clustered store's database with {@code jobstore: jdbc}
 * (standby controllers), else as files under {@code DATADIR}.
 */
public final class RecordsModule extends AbstractModule {

    private final JobsConfig jobs;
    private final Path dataDir;

    public RecordsModule(JobsConfig jobs, Path dataDir) {
        this.jobs = requireNonNull(jobs, "jobs is null");
        this.dataDir = requireNonNull(dataDir, "dataDir is null");
    }

    @Provides
    @Singleton
    Records records() {
        if (jobs.store() == JobsConfig.Store.JDBC) {
            Database database = new Database(jobs);
            return new JdbcRecords(database.connector(), database.url());
        }
        return new FileRecords(dataDir);
    }
}
