package io.understudy.scheduler.config;

import static java.util.Objects.requireNonNull;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/**
 * The whole configuration.
 *
 * @param api {@code listen} and {@code api}: the controller's small status API
 * @param dataDir {@code dataDir}: where history is kept
 * @param rules {@code rules}: the rules file; {@code none} or absent: no rules (every host in range)
 * @param dryRun {@code dryRun}: decide and record, never act: no move, no protection assignment sent
 * @param historyFile {@code history.file}: default {@code DATADIR/history.jsonl}
 * @param recordStays {@code history.recordStays}: also record the VMs that stay (large clouds: big files)
 * @param moves {@code moves}: how moves are carried out; their journal is {@code DATADIR/moves}
 * @param detection {@code detection}: failure detection (probes of the agents, Nova's reports)
 * @param releaseDeletedAfter {@code placement.releaseDeletedAfter}: how long a protected VM must be missing
 *     from Nova's listing before its hosts drop their roles and replicas; a VM missing for less (a cell of
 *     Nova briefly unreachable, a soft delete restored) loses nothing
 */
public record ControllerConfig(ApiConfig api, Path dataDir, Optional<Path> rules, boolean dryRun,
        OpenStackConfig openstack, AgentsConfig agents, JobsConfig jobs, Optional<Path> historyFile,
        boolean recordStays, MovesConfig moves, DetectionConfig detection, Duration releaseDeletedAfter) {

    public static final Path DEFAULT_DATA_DIR = Path.of("/var/lib/understudy/controller");
    public static final Duration DEFAULT_RELEASE_DELETED_AFTER = Duration.ofHours(1);

    public ControllerConfig {
        requireNonNull(api, "api is null");
        requireNonNull(dataDir, "dataDir is null");
        requireNonNull(rules, "rules is null");
        requireNonNull(openstack, "openstack is null");
        requireNonNull(agents, "agents is null");
        requireNonNull(jobs, "jobs is null");
        requireNonNull(historyFile, "historyFile is null");
        requireNonNull(moves, "moves is null");
        requireNonNull(detection, "detection is null");
        requireNonNull(releaseDeletedAfter, "releaseDeletedAfter is null");
    }

    public static ControllerConfig defaults() {
        return new ControllerConfig(ApiConfig.DEFAULT, DEFAULT_DATA_DIR, Optional.empty(), false,
                OpenStackConfig.DEFAULT, AgentsConfig.DEFAULT, JobsConfig.DEFAULT, Optional.empty(), false,
                MovesConfig.DEFAULT, DetectionConfig.DEFAULT, DEFAULT_RELEASE_DELETED_AFTER);
    }

    public Path history() {
        return historyFile.orElse(dataDir.resolve("history.jsonl"));
    }
}
