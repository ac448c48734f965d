package io.understudy.agent.replication;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.understudy.agent.api.AgentClient;
import io.understudy.agent.api.AgentException;
import io.understudy.agent.api.PrimaryStatus;
import io.understudy.agent.api.ReplicaInfo;
import io.understudy.agent.api.Role;
import io.understudy.agent.libvirt.DomainSpec;
import io.understudy.agent.libvirt.Hypervisor;
import io.understudy.agent.libvirt.TinyGuest;
import io.understudy.agent.testing.Agents;
import io.understudy.agent.testing.LibvirtHost;
import io.understudy.agent.testing.Qemu;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * A protected VM's domain changed under its primary's agent, on a real QEMU guest under a private
 * libvirtd of this test's own ({@link LibvirtHost}; the machine's libvirtd is never touched), with
 * compute1's agent replicating to compute2's over HTTP:
 * <ul>
 * <li>the domain vanishes: the round fails and is retried later (transient), protection goes on;</li>
 * <li>its disk file is replaced at the same path (no bitmap of ours in it): the next round is full;</li>
 * <li>it is defined again on another file: the agent cannot follow it. The round stops the VM's
 * protection: one operator line, {@code state: stopped} with the reason in {@code GET /v1/vms}
 * and in the host's stats, 409 for rounds asked for, and compute2's replica as it was. A protect
 * call restarts it with a full round.</li>
 * <li>its disk arrives with the bitmaps of its checkpoints on other hosts, as Nova's cold migration
 * and resize copy the qcow2 file: the first round removes them from the running domain and names
 * them in one line, and leaves bitmaps that are not this VM's checkpoints' alone; the checkpoint it
 * keeps serves the next rounds, across a stop and start too.</li>
 * </ul>
 * Needs root (a private libvirtd runs as root); skipped otherwise.
 */
class LayoutChangeIT {

    private static final String TOKEN = "layout-change-it-cluster-token";
    private static final String FOREIGN = "nightly-backup";
    private static final String OTHER_VM = "understudy-deadbeef-5";

    private final List<AutoCloseable> closing = new ArrayList<>();
    private final ListAppender<ILoggingEvent> log = new ListAppender<>();
    private final Logger replicatorLog = (Logger) LoggerFactory.getLogger(Replicator.class);
    private Path work;
    private Hypervisor hypervisor;
    private UUID vm;

    @BeforeEach
    void setUp() throws IOException {
        work = TinyGuest.workDir("understudy-layout-it");
        Files.writeString(work.resolve("token"), TOKEN);
        log.start();
        replicatorLog.addAppender(log);
    }

    @AfterEach
    void tearDown() throws Exception {
        try {
            if (hypervisor != null) {
                if (vm != null) {
                    hypervisor.destroy(vm);
                    hypervisor.undefine(vm);
                }
                hypervisor.close();
            }
        } finally {
            for (int i = closing.size() - 1; i >= 0; i--) {
                closing.get(i).close();
            }
            replicatorLog.detachAppender(log);
            TinyGuest.deleteWorkDir(work);
        }
    }

    @Test
    void aDomainGoneOrOnANewFileIsFollowedAndOneOnAnotherFileStopsItsProtection() throws Exception {
        Agents agents = twoHosts();
        vm = UUID.randomUUID();
        Path diskA = agents.instances("compute1").resolve("disk-a.qcow2");
        Qemu.img("create", "-q", "-f", "qcow2", "-o", "compat=1.1", diskA.toString(), "64M");
        TinyGuest guest = TinyGuest.build(128, 65536);
        String name = "understudy-layout-" + vm.toString().substring(0, 8);
        DomainSpec onA = guest.spec(name, vm, diskA, work.resolve("console.log"), "0.02");
        hypervisor.defineAndStart(onA);
        agents.protect("compute2", vm, Role.SECONDARY, "compute1");
        agents.protect("compute1", vm, Role.PRIMARY, "compute2");
        AgentClient primary = agents.client("compute1");
        AgentClient secondary = agents.client("compute2");
        assertThat(primary.sync(vm).lastRoundFull()).isTrue();
        PrimaryStatus incremental = primary.sync(vm);
        assertThat(incremental.lastRoundFull()).isFalse();
        assertThat(incremental.state()).isEqualTo(PrimaryStatus.REPLICATING);

        // Gone (Nova's shelve, a delete racing the round): a round fails, nothing stops.
        hypervisor.destroy(vm);
        hypervisor.undefine(vm);
        assertThatThrownBy(() -> primary.sync(vm)).isInstanceOfSatisfying(AgentException.class,
                e -> assertThat(e.status()).isEqualTo(500)).hasMessageContaining("no domain " + vm);
        assertThat(only(primary.primaries())).satisfies(p -> {
            assertThat(p.state()).isEqualTo(PrimaryStatus.REPLICATING);
            assertThat(p.lastError()).contains("no domain " + vm);
        });

        // Back on a new file at the same path (a rebuild): the bitmaps are not in it, the round is full.
        Path fresh = work.resolve("fresh.qcow2");
        Qemu.img("convert", "-q", "-O", "qcow2", diskA.toString(), fresh.toString());
        Files.move(fresh, diskA, StandardCopyOption.REPLACE_EXISTING);
        hypervisor.defineAndStart(onA);
        PrimaryStatus rebuilt = primary.sync(vm);
        assertThat(rebuilt.lastRoundFull()).as("the round after the disk was replaced").isTrue();
        assertThat(rebuilt.lastError()).isNull();
        assertThat(secondary.replica(vm).version()).isEqualTo(rebuilt.version());
        ReplicaInfo held = secondary.replica(vm);

        // Defined again on another file: not the disk this protection replicates.
        Path diskB = agents.instances("compute1").resolve("disk-b.qcow2");
        hypervisor.destroy(vm);
        Files.copy(diskA, diskB);
        hypervisor.undefine(vm);
        hypervisor.defineAndStart(guest.spec(name, vm, diskB, work.resolve("console.log"), "0.02"));
        String reason = "the root disk vda of domain " + name + " is now " + diskB + ", not " + diskA
                + " that its protection was set up with";
        for (int i = 0; i < 3; i++) {
            assertThatThrownBy(() -> primary.sync(vm)).isInstanceOfSatisfying(AgentException.class,
                    e -> assertThat(e.status()).isEqualTo(409))
                    .hasMessageContaining("protection of vm " + vm + " stopped on host compute1: " + reason);
        }
        PrimaryStatus stopped = only(primary.primaries());
        assertThat(stopped.state()).isEqualTo(PrimaryStatus.STOPPED);
        assertThat(stopped.reason()).isEqualTo(reason);
        assertThat(stopped.version()).isEqualTo(rebuilt.version());
        assertThat(primary.hostStats().stoppedProtections()).containsEntry(vm, reason);
        assertThat(messages()).filteredOn(m -> m.contains("protection stopped")).singleElement().isEqualTo(
                "vm " + vm + " on host compute1: protection stopped: " + reason + "; its replicas on [compute2] stay at "
                        + "version " + rebuilt.version() + "; protect it again to restart it with a full round");
        ReplicaInfo after = secondary.replica(vm);
        assertThat(after.version()).isEqualTo(held.version());
        assertThat(after.bytes()).isEqualTo(held.bytes());
        assertThat(after.chainLength()).isEqualTo(held.chainLength());

        // The controller protects it again: a full round from the disk the domain now has.
        agents.protect("compute1", vm, Role.PRIMARY, "compute2");
        PrimaryStatus restarted = primary.sync(vm);
        assertThat(restarted.state()).isEqualTo(PrimaryStatus.REPLICATING);
        assertThat(restarted.reason()).isNull();
        assertThat(restarted.lastRoundFull()).isTrue();
        assertThat(restarted.version()).isEqualTo(rebuilt.version() + 1);
        assertThat(secondary.replica(vm).version()).isEqualTo(restarted.version());
        assertThat(primary.hostStats().stoppedProtections()).isEmpty();
        assertThat(primary.sync(vm).lastRoundFull()).isFalse();
        assertThat(messages()).anyMatch(m -> m.equals("vm " + vm + " on host compute1: protection restarted by a protect "
                + "call; the next round reads the whole disk"));
    }

    @Test
    void theFirstRoundRemovesTheBitmapsOfOldHostsCheckpointsAndKeepsTheRest() throws Exception {
        Agents agents = twoHosts();
        vm = UUID.randomUUID();
        Path disk = agents.instances("compute1").resolve("disk.qcow2");
        Qemu.img("create", "-q", "-f", "qcow2", "-o", "compat=1.1", disk.toString(), "64M");
        // What three earlier hosts' rounds left in the file, and two bitmaps that are not this VM's checkpoints'.
        List<String> stale = List.of(Primary.checkpointName(vm, 5), Primary.checkpointName(vm, 12),
                Primary.checkpointName(vm, 17));
        for (String name : stale) {
            Qemu.img("bitmap", "--add", disk.toString(), name);
        }
        Qemu.img("bitmap", "--add", disk.toString(), FOREIGN);
        Qemu.img("bitmap", "--add", disk.toString(), OTHER_VM);
        TinyGuest guest = TinyGuest.build(128, 65536);
        DomainSpec spec = guest.spec("understudy-stale-" + vm.toString().substring(0, 8), vm, disk,
                work.resolve("console.log"), "0.02");
        hypervisor.defineAndStart(spec);
        agents.protect("compute2", vm, Role.SECONDARY, "compute1");
        agents.protect("compute1", vm, Role.PRIMARY, "compute2");
        AgentClient primary = agents.client("compute1");

        PrimaryStatus first = primary.sync(vm);
        assertThat(first.lastRoundFull()).isTrue();
        assertThat(first.lastError()).isNull();
        // Removed from the running QEMU and from the file at once; this round's own bitmap reaches
        // the file only when QEMU closes it.
        assertThat(bitmaps(disk)).containsExactlyInAnyOrder(FOREIGN, OTHER_VM);
        assertThat(messages()).filteredOn(m -> m.contains("removed bitmaps")).singleElement().isEqualTo("vm " + vm
                + ": removed bitmaps of its checkpoints that none it keeps needs (QEMU marked every write in each): "
                + stale.stream().sorted().map(n -> n + "@vda").toList());

        PrimaryStatus second = primary.sync(vm);
        assertThat(second.lastRoundFull()).as("the round after the removal").isFalse();

        // A clean stop writes the kept checkpoint's bitmap into the file: it and the others' stay.
        hypervisor.destroy(vm);
        assertThat(bitmaps(disk)).containsExactlyInAnyOrder(FOREIGN, OTHER_VM,
                Primary.checkpointName(vm, second.version()));
        hypervisor.undefine(vm);
        hypervisor.defineAndStart(spec);
        PrimaryStatus afterRestart = primary.sync(vm);
        assertThat(afterRestart.lastRoundFull()).as("the round after a stop and start").isFalse();
        assertThat(primary.sync(vm).lastRoundFull()).isFalse();
        assertThat(messages()).filteredOn(m -> m.contains("removed bitmaps")).hasSize(1);
        assertThat(bitmaps(disk)).containsExactlyInAnyOrder(FOREIGN, OTHER_VM);
    }

    /** The bitmaps the file lists, as qemu-img reads it beside a running QEMU. */
    private static List<String> bitmaps(Path disk) throws IOException {
        JsonNode info = new ObjectMapper().readTree(Qemu.img("info", "-U", "--output=json", disk.toString()));
        List<String> names = new ArrayList<>();
        info.path("format-specific").path("data").path("bitmaps").forEach(b -> names.add(b.path("name").asText()));
        return names;
    }

    /** A private libvirtd with compute1's and compute2's agents on it; the test is skipped unless root. */
    private Agents twoHosts() throws IOException {
        assumeTrue(Qemu.ok("id", "-u").strip().equals("0"), "needs root: a private libvirtd (devstack/libvirt-host.sh)");
        LibvirtHost libvirt = closeLater(LibvirtHost.in(work.resolve("libvirtd"))).start();
        hypervisor = Hypervisor.open(libvirt.uri());
        Agents agents = closeLater(new Agents(work.resolve("hosts"), libvirt.uri(), work.resolve("token")));
        agents.start("compute1");
        agents.start("compute2");
        return agents;
    }

    private static PrimaryStatus only(List<PrimaryStatus> primaries) {
        assertThat(primaries).hasSize(1);
        return primaries.get(0);
    }

    private <T extends AutoCloseable> T closeLater(T c) {
        closing.add(c);
        return c;
    }

    private List<String> messages() {
        return log.list.stream().map(ILoggingEvent::getFormattedMessage).toList();
    }
}
