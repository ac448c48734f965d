package io.understudy.scheduler.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import io.understudy.scheduler.config.JobsConfig;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.Properties;
import org.junit.jupiter.api.Test;

class QuartzPropertiesTest {

    @Test
    void memoryIsRamJobStoreAndNothingAboutADatabase() {
        Properties p = QuartzProperties.of(JobsConfig.DEFAULT, Optional.empty());
        assertThat(p.getProperty("org.quartz.jobStore.class")).isEqualTo("org.quartz.simpl.RAMJobStore");
        assertThat(p.getProperty("org.quartz.scheduler.instanceName")).isEqualTo("understudy");
        assertThat(p.getProperty("org.quartz.scheduler.instanceId")).isEqualTo("AUTO");
        assertThat(p.stringPropertyNames()).noneMatch(k -> k.startsWith("org.quartz.dataSource"));
    }

    @Test
    void jdbcIsTheClusteredStoreOnMariaDbThroughHikari() {
        JobsConfig c = new JobsConfig(Duration.ofSeconds(2), Duration.ofMinutes(1), JobsConfig.Store.JDBC,
                Optional.of("jdbc:mariadb://127.0.0.1:3306/q"), Optional.of("u"), Optional.of(Path.of("/p")), 3, true,
                "a", Duration.ofSeconds(2));
        Properties p = QuartzProperties.of(c, Optional.of("pw"));
        assertThat(p.getProperty("org.quartz.jobStore.class")).isEqualTo("org.quartz.impl.jdbcjobstore.JobStoreTX");
        assertThat(p.getProperty("org.quartz.jobStore.isClustered")).isEqualTo("true");
        assertThat(p.getProperty("org.quartz.jobStore.clusterCheckinInterval")).isEqualTo("2000");
        assertThat(p.getProperty("org.quartz.jobStore.useProperties")).isEqualTo("true");
        assertThat(p.getProperty("org.quartz.scheduler.instanceId")).isEqualTo("a");
        assertThat(p.getProperty("org.quartz.dataSource.understudy.provider")).isEqualTo("hikaricp");
        assertThat(p.getProperty("org.quartz.dataSource.understudy.URL")).isEqualTo("jdbc:mariadb://127.0.0.1:3306/q");
        assertThat(p.getProperty("org.quartz.dataSource.understudy.user")).isEqualTo("u");
        assertThat(p.getProperty("org.quartz.dataSource.understudy.password")).isEqualTo("pw");
        assertThat(p.getProperty("org.quartz.dataSource.understudy.maxConnections")).isEqualTo("3");
    }

    @Test
    void theSchemaScriptNeverDropsAndCanRunTwice() {
        var statements = QuartzSchema.statements();
        assertThat(statements).hasSizeGreaterThan(10);
        assertThat(statements).noneMatch(s -> s.toUpperCase().contains("DROP "));
        assertThat(statements).filteredOn(s -> s.toUpperCase().startsWith("CREATE TABLE"))
                .hasSize(11).allMatch(s -> s.startsWith("CREATE TABLE IF NOT EXISTS"));
        assertThat(statements).filteredOn(s -> s.toUpperCase().startsWith("CREATE INDEX"))
                .isNotEmpty().allMatch(s -> s.startsWith("CREATE INDEX IF NOT EXISTS"));
        assertThat(statements).anyMatch(s -> s.contains("QRTZ_LOCKS"));
    }
}
