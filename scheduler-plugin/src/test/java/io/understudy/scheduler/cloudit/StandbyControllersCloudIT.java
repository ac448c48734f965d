package io.understudy.scheduler.cloudit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.understudy.scheduler.history.JsonLinesHistory;
import io.understudy.scheduler.history.RoundRecord;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two controllers ({@code understudy serve}, the shaded jar, each its own JVM) share Quartz's
 * clustered JDBC store on the single-machine cloud's MariaDB and read its real Nova. No
 * scheduled round runs on both; the one that ran last is killed with SIGKILL and the other
 * carries on.
 */
class StandbyControllersCloudIT {

    private static final String DATABASE = "understudy_quartz_it";
    private static final String USER = "understudy_it";
    private static final Duration INTERVAL = Duration.ofSeconds(2);

    private static Cloud cloud;
    private final List<Process> controllers = new ArrayList<>();

    @TempDir
    Path dir;

    @BeforeAll
    static void database() {
        cloud = new Cloud();
        // From scratch each run: a dead run's triggers and scheduler rows must not linger.
        cloud.mariadbRoot("DROP DATABASE IF EXISTS " + DATABASE + "; CREATE DATABASE " + DATABASE
                + " CHARACTER SET utf8mb4; CREATE USER IF NOT EXISTS '" + USER + "'@'127.0.0.1' IDENTIFIED BY 'it-secret';"
                + " ALTER USER '" + USER + "'@'127.0.0.1' IDENTIFIED BY 'it-secret';"
                + " GRANT ALL PRIVILEGES ON " + DATABASE + ".* TO '" + USER + "'@'127.0.0.1';");
    }

    @AfterEach
    void stop() {
        controllers.forEach(Process::destroyForcibly);
    }

    private Process start(String name) throws Exception {
        Files.writeString(dir.resolve("password"), "it-secret\n");
        Path config = dir.resolve(name + ".yaml");
        Files.writeString(config, String.join("\n",
                "dataDir: " + dir.resolve(name),
                "openstack: {cloudsYaml: " + cloud.cloudsYaml + ", cloud: " + Cloud.CONTROLLER_CLOUD + "}",
                "agents: {port: 9, timeout: 500ms}",
                "evaluation: {interval: " + INTERVAL.toMillis() + "ms}",
                "placement: {interval: 1h}",
                "jobstore: jdbc",
                "jdbc: {url: 'jdbc:mariadb://127.0.0.1:3306/" + DATABASE + "', user: " + USER
                        + ", passwordFile: password}",
                "cluster: {instanceId: " + name + ", checkinInterval: 1s}",
                ""));
        Process p = new ProcessBuilder("java", "-Xmx256m", "-jar", System.getProperty("understudy.controller.jar"),
                "serve", "--config", config.toString())
                .redirectErrorStream(true).redirectOutput(dir.resolve(name + ".log").toFile()).start();
        controllers.add(p);
        return p;
    }

    private List<RoundRecord> rounds(String name) {
        return new JsonLinesHistory(dir.resolve(name).resolve("history.jsonl")).last(10_000);
    }

    private String log(String name) throws Exception {
        Path log = dir.resolve(name + ".log");
        return Files.exists(log) ? Files.readString(log) : "";
    }

    @Test
    void aStandbyTakesOverAndNoRoundRunsTwice() throws Exception {
        Process a = start("a");
        await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(500))
                .untilAsserted(() -> assertThat(rounds("a")).as(log("a")).hasSizeGreaterThanOrEqualTo(2));
        Process b = start("b");
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500))
                .untilAsserted(() -> assertThat(log("b")).contains("scheduler b started (jdbc store)"));
        Thread.sleep(INTERVAL.multipliedBy(4).toMillis());

        // Kill whichever ran the latest round: the active one.
        Instant latestA = rounds("a").get(rounds("a").size() - 1).startedAt();
        List<RoundRecord> bSoFar = rounds("b");
        boolean killA = bSoFar.isEmpty() || latestA.isAfter(bSoFar.get(bSoFar.size() - 1).startedAt());
        String dead = killA ? "a" : "b";
        String survivor = killA ? "b" : "a";
        (killA ? a : b).destroyForcibly().waitFor();
        Instant killedAt = Instant.now();
        int deadRounds = rounds(dead).size();

        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500)).untilAsserted(() ->
                assertThat(rounds(survivor).stream().filter(r -> r.startedAt().isAfter(killedAt)).count())
                        .as(log(survivor)).isGreaterThanOrEqualTo(3));
        assertThat(rounds(dead)).as("a killed controller runs nothing").hasSize(deadRounds);

        List<RoundRecord> all = new ArrayList<>(rounds("a"));
        all.addAll(rounds("b"));
        Set<Instant> scheduled = new TreeSet<>();
        for (RoundRecord r : all) {
            assertThat(r.scheduledAt()).as("every round knows its firing").isPresent();
            assertThat(scheduled.add(r.scheduledAt().get())).as("round scheduled at " + r.scheduledAt().get()
                    + " ran twice").isTrue();
        }
        assertThat(all).as("rounds read the real Nova").allMatch(r -> r.ok() && r.hosts() >= 3);
        assertThat(rounds(survivor)).extracting(RoundRecord::controller).containsOnly(survivor);
    }
}
