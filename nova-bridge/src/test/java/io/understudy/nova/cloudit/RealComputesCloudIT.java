package io.understudy.nova.cloudit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.understudy.nova.action.Evacuation;
import io.understudy.nova.action.Fenced;
import io.understudy.nova.action.ForceDown;
import io.understudy.nova.action.LiveMigration;
import io.understudy.nova.action.MoveResult;
import io.understudy.nova.action.MoveResult.Outcome;
import io.understudy.nova.action.ServiceChange;
import io.understudy.nova.state.Migration;
import io.understudy.nova.state.Server;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Nova's real libvirt driver on the single-machine cloud ({@code devstack/local-cloud.sh up --virt
 * libvirt}): Nova boots the tiny guest (devstack/tiny-guest) on one host's libvirtd, live-migrates
 * it with its disk to a second host's daemon while it keeps writing records, and, once that host
 * has failed, evacuates it onto the third, which boots it from that host's disk. Prints its figures.
 *
 * <p>Runs only against a cloud with libvirt computes; bin/test-all brings one up after the
 * fake-driver tests and runs this class alone ({@code -Dit.test=RealComputesCloudIT}).
 */
class RealComputesCloudIT {

    /** TCG on two shared cores: a boot takes 3 to 30 s here. */
    private static final Duration STEP_TIMEOUT = Duration.ofSeconds(180);
    private static final Duration POLL = Duration.ofMillis(500);

    private static TestCloud cloud;

    private UUID server;

    @BeforeAll
    static void connect() {
        cloud = TestCloud.connect(STEP_TIMEOUT);
        assertThat(cloud.script().virt()).as("the cloud's computes run Nova's libvirt driver "
                + "(devstack/local-cloud.sh up --virt libvirt)").isEqualTo("libvirt");
    }

    @BeforeEach
    void cleanUpFirst() {
        cloud.cleanUpFirst();
    }

    @AfterEach
    void cleanUp() {
        cloud.cleanUp(server);
    }

    @Test
    void novaBootsLiveMigratesWithItsDiskAndEvacuatesTheGuestAcrossThreeLibvirtDaemons() throws IOException {
        LocalCloud hosts = cloud.script();

        long booting = System.nanoTime();
        server = cloud.servers().bootActive("real", "compute1", TestServers.Boot.GUEST, STEP_TIMEOUT);
        Duration bootToActive = since(booting);
        assertThat(hosts.domainState("compute1", server)).as("the guest in compute1's libvirtd").contains("running");
        assertThat(hosts.domainState("compute2", server)).as("nowhere else").isEmpty();
        assertThat(rootDisk("compute1")).as("the root disk: an overlay over a base in the image cache")
                .contains(hosts.instancesPath().resolve("_base") + "/");
        GuestConsole booted = awaitConsole("the guest writing records on compute1",
                c -> c.resumes().equals(List.of(0L)) && c.records().size() >= 3);
        Duration bootToRecords = since(booting);

        // Live migration: Nova copies the disk and memory from compute1's libvirtd to compute2's.
        long before = booted.lastRecord().orElseThrow();
        MoveResult moved = new LiveMigration(cloud.nova(), cloud.settings()).run(server, "compute2");

        assertThat(moved.outcome()).as(moved.summary()).isEqualTo(Outcome.COMPLETED);
        assertThat(moved.migration()).get().extracting(Migration::status).isEqualTo("completed");
        assertThat(hosts.domainState("compute2", server)).as("running in compute2's libvirtd").contains("running");
        assertThat(hosts.domainState("compute1", server)).as("gone from compute1's").isEmpty();
        String downtime = downtime("compute2");
        assertThat(hosts.instances("compute2").resolve(server.toString()).resolve("disk")).isRegularFile();
        assertThat(hosts.instances("compute1").resolve(server.toString())).as("compute1's copy removed").doesNotExist();
        // compute2's console log starts at the migration: the guest went on, it did not boot again.
        GuestConsole migrated = awaitConsole("records on compute2 after the migration",
                c -> c.lastRecord().orElse(0) > before + 2);
        assertThat(migrated.resumes()).as("no boot on compute2").isEmpty();
        assertThat(migrated.firstRecord().orElseThrow()).as("the counter goes on from compute1's").isGreaterThan(before);

        // compute2 fails: its nova-compute killed and the guest destroyed (the process fencer).
        long acknowledged = awaitConsole("records on compute2", c -> c.lastRecord().isPresent())
                .lastRecord().orElseThrow();
        Instant failedAt = Instant.now();
        long failing = System.nanoTime();
        hosts.fence("compute2", server);
        // The fence returns once QEMU is dead; libvirt notes the death a little later (about 2 s,
        // more under load): its state is awaited, not read at once.
        await("compute2's libvirtd sees the guest shut off").atMost(Duration.ofSeconds(30))
                .until(() -> hosts.domainState("compute2", server), s -> s.filter("shut off"::equals).isPresent());
        ServiceChange forced = cloud.forceDown().set("compute2",
                ForceDown.reason("RealComputesCloudIT's evacuation", failedAt));
        assertThat(forced.outcome()).as(forced.reason()).isEqualTo(ServiceChange.Outcome.CHANGED);
        // What Understudy's agent does on the chosen secondary, from its replica: the instance's
        // disk in place on compute3 before Nova is asked. Nova then boots the disk it finds.
        stageDisk("compute2", "compute3");
        MoveResult evacuated = new Evacuation(cloud.nova(), cloud.settings()).run(server, "compute3",
                new Fenced("compute2", "nova-compute killed, guest destroyed (local-cloud.sh fence)", failedAt));
        Duration failToActive = since(failing);

        assertThat(evacuated.outcome()).as(evacuated.summary()).isEqualTo(Outcome.COMPLETED);
        assertThat(evacuated.lastSeen()).get().extracting(Server::host, Server::status)
                .containsExactly(Optional.of("compute3"), "ACTIVE");
        assertThat(hosts.domainState("compute3", server)).as("running in compute3's libvirtd").contains("running");
        GuestConsole evacuatedConsole = awaitConsole("the guest booted on compute3, writing records",
                c -> c.resumes().size() == 1 && c.lastRecord().orElse(0) > c.resumes().get(0));
        Duration failToRecords = since(failing);
        assertThat(evacuatedConsole.resumes().get(0)).as("it booted from the disk: every acknowledged record is there")
                .isGreaterThanOrEqualTo(acknowledged);

        System.out.printf("figures: boot to ACTIVE %d ms, to records %d ms; live migration compute1 -> compute2 "
                        + "%d ms (Nova's own %d ms, the guest's downtime %s), records %d -> %d; fence to ACTIVE on compute3 %d ms, to records "
                        + "%d ms, resumed after record %d (last acknowledged %d)%n",
                bootToActive.toMillis(), bootToRecords.toMillis(), moved.timing().total().toMillis(),
                moved.timing().nova().toMillis(), downtime, before, migrated.firstRecord().orElseThrow(), failToActive.toMillis(),
                failToRecords.toMillis(), evacuatedConsole.resumes().get(0), acknowledged);
    }

    /** Waits until the server's console log, read through Nova, shows what it must; returns it. */
    private GuestConsole awaitConsole(String what, Predicate<GuestConsole> until) {
        AtomicReference<GuestConsole> seen = new AtomicReference<>();
        await(what).atMost(STEP_TIMEOUT).pollInterval(POLL).until(() -> {
            seen.set(GuestConsole.parse(cloud.servers().consoleOutput(server)));
            return until.test(seen.get());
        });
        return seen.get();
    }

    /** The guest's downtime in its last migration, as the target HOST's libvirtd reports it. */
    private String downtime(String host) {
        String label = "Total downtime:";
        return cloud.script().completedJob(host, server).lines().filter(l -> l.startsWith(label))
                .map(l -> l.substring(label.length()).strip().replaceAll("\\s+", " "))
                .findFirst().orElse("not reported");
    }

    /** The first 64 KiB of the instance's disk on HOST: a qcow2 header names its backing file there. */
    private String rootDisk(String host) throws IOException {
        try (InputStream in = Files.newInputStream(cloud.script().instances(host).resolve(server.toString()).resolve("disk"))) {
            return new String(in.readNBytes(65536), StandardCharsets.ISO_8859_1);
        }
    }

    /** Copies the instance's disk (and Nova's note of its format) from one host's storage to another's. */
    private void stageDisk(String from, String to) throws IOException {
        Path source = cloud.script().instances(from).resolve(server.toString());
        Path target = Files.createDirectories(cloud.script().instances(to).resolve(server.toString()));
        for (String file : new String[] {"disk", "disk.info"}) {
            Files.copy(source.resolve(file), target.resolve(file));
        }
    }

    private static Duration since(long nanoTime) {
        return Duration.ofNanos(System.nanoTime() - nanoTime);
    }
}
