package io.understudy.scheduler.config;

import static java.util.Objects.requireNonNull;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/**
 * Quartz: how often rounds run and where its jobs live.
 *
 * @param evaluationInterval {@code evaluation.interval}: between evaluation rounds
 * @param placementInterval {@code placement.interval}: between replica-placement rounds
 * @param store {@code jobstore}: memory (one controller) or jdbc (Quartz's clustered store:
 *     standby controllers take over, no round runs twice)
 * @param jdbcUrl {@code jdbc.url}, e.g. {@code jdbc:mariadb://127.0.0.1:3306/understudy}
 * @param jdbcUser {@code jdbc.user}
 * @param jdbcPasswordFile {@code jdbc.passwordFile}: the password is the file's first line
 * @param jdbcPoolSize {@code jdbc.poolSize}: connections Quartz may hold
 * @param createSchema {@code jdbc.createSchema}: create Quartz's tables when missing (never drops any)
 * @param instanceId {@code cluster.instanceId}: this controller's name among its peers; AUTO makes one
 * @param checkinInterval {@code cluster.checkinInterval}: how often a controller tells its peers it lives;
 *     a peer silent for about this long (plus a little) is taken over
 */
public record JobsConfig(Duration evaluationInterval, Duration placementInterval, Store store, Optional<String> jdbcUrl,
        Optional<String> jdbcUser, Optional<Path> jdbcPasswordFile, int jdbcPoolSize, boolean createSchema,
        String instanceId, Duration checkinInterval) {

    public enum Store { MEMORY, JDBC }

    public static final JobsConfig DEFAULT = new JobsConfig(Duration.ofSeconds(10), Duration.ofSeconds(60),
            Store.MEMORY, Optional.empty(), Optional.empty(), Optional.empty(), 4, true, "AUTO",
            Duration.ofMillis(7500));

    public JobsConfig {
        requireNonNull(evaluationInterval, "evaluationInterval is null");
        requireNonNull(placementInterval, "placementInterval is null");
        requireNonNull(store, "store is null");
        requireNonNull(jdbcUrl, "jdbcUrl is null");
        requireNonNull(jdbcUser, "jdbcUser is null");
        requireNonNull(jdbcPasswordFile, "jdbcPasswordFile is null");
        requireNonNull(instanceId, "instanceId is null");
        requireNonNull(checkinInterval, "checkinInterval is null");
        if (store == Store.JDBC && (jdbcUrl.isEmpty() || jdbcUser.isEmpty())) {
            throw new IllegalArgumentException("jobstore jdbc needs jdbc.url and jdbc.user");
        }
    }
}
