package io.understudy.agent.libvirt;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.understudy.agent.api.AgentClient;
import io.understudy.agent.api.AgentException;
import io.understudy.agent.api.Health;
import io.understudy.agent.api.HostStats;
import io.understudy.agent.api.PrimaryStatus;
import io.understudy.agent.api.Role;
import io.understudy.agent.testing.Agents;
import io.understudy.agent.testing.Cli;
import io.understudy.agent.testing.LibvirtHost;
import io.understudy.agent.testing.Qemu;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.function.Predicate;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * An agent under a libvirtd that goes away and comes back: a private libvirtd of this test's own
 * ({@link LibvirtHost}; the machine's libvirtd, which other tests use, is never touched) runs the
 * tiny guest, which compute1's agent protects with rounds to compute2's. The daemon is killed
 * (kill -9; the guest's QEMU keeps running): the agent says libvirt is unreachable in its health
 * and its stats, refuses rounds and fencing with that reason (503), and changes nothing; the
 * daemon is started again: the agent reconnects by itself and the next round reaches compute2.
 * An agent also starts while its libvirtd is down, and connects once it comes up.
 *
 * <p>Needs root (a libvirtd of qemu:///system runs as root); without it the daemon tests are skipped.
 */
class LibvirtReconnectIT {

    private static final String TOKEN = "reconnect-it-cluster-token";
    private static final int SLOTS = 128;
    private static final int STRIDE = 65536;
    private static final Duration BOOT = Duration.ofMinutes(4);
    private static final Duration WRITING = Duration.ofMinutes(3);
    /** The agent notices a dead daemon at its next call to it: a health check is one. */
    private static final Duration NOTICE = Duration.ofSeconds(30);
    /** The reconnect backoff (10 s at most between tries, by default) and a daemon's start, with room to spare. */
    private static final Duration RECONNECT = Duration.ofSeconds(60);
    private static final Pattern RESUMED = Pattern.compile("understudy-guest resume (\\d+)\\r?\\n", Pattern.MULTILINE);

    private final List<AutoCloseable> closing = new ArrayList<>();
    private final List<UUID> domains = new ArrayList<>();
    private final ListAppender<ILoggingEvent> log = new ListAppender<>();
    private Path work;
    private Hypervisor hypervisor;

    @BeforeEach
    void setUp() throws IOException {
        work = TinyGuest.workDir("understudy-reconnect-it");
        Files.writeString(work.resolve("token"), TOKEN);
        log.start();
        for (String name : List.of(Link.class.getName(), "io.understudy.agent.server.ErrorMapper")) {
            ((Logger) LoggerFactory.getLogger(name)).addAppender(log);
        }
    }

    @AfterEach
    void tearDown() throws Exception {
        try {
            if (hypervisor != null) {
                for (UUID d : domains) {
                    hypervisor.destroy(d);
                    hypervisor.undefine(d);
                }
                hypervisor.close();
            }
        } finally {
            // Agents first, the daemon last (it also ends any guest a failed test left running).
            for (int i = closing.size() - 1; i >= 0; i--) {
                closing.get(i).close();
            }
            for (String name : List.of(Link.class.getName(), "io.understudy.agent.server.ErrorMapper")) {
                ((Logger) LoggerFactory.getLogger(name)).detachAppender(log);
            }
            try (Stream<Path> all = Files.walk(work)) {
                for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }

    @Test
    void anAgentSeesItsLibvirtdKilledAndBackAndItsRoundsResume() throws Exception {
        assumeRoot();
        LibvirtHost libvirt = closeLater(LibvirtHost.in(work.resolve("libvirtd"))).start();
        hypervisor = Hypervisor.open(libvirt.uri());
        Agents agents = closeLater(new Agents(work.resolve("hosts"), libvirt.uri(), work.resolve("token")));
        agents.start("compute1");
        agents.start("compute2");

        UUID vm = UUID.randomUUID();
        Path disk = agents.instances("compute1").resolve("disk.qcow2");
        Qemu.img("create", "-q", "-f", "qcow2", "-o", "compat=1.1", disk.toString(), "64M");
        Path consoleFile = work.resolve("console.log");
        ConsoleLog console = closeLater(new ConsoleLog(consoleFile));
        TinyGuest guest = TinyGuest.build(SLOTS, STRIDE);
        hypervisor.defineAndStart(guest.spec("understudy-reconnect-" + vm.toString().substring(0, 8), vm, disk,
                consoleFile, "0.02"));
        domains.add(vm);
        console.await(RESUMED, 1, BOOT);
        agents.protect("compute2", vm, Role.SECONDARY, "compute1");
        agents.protect("compute1", vm, Role.PRIMARY, "compute2");
        AgentClient primary = agents.client("compute1");
        AgentClient secondary = agents.client("compute2");
        PrimaryStatus before = round(primary, vm, console);
        assertThat(secondary.replica(vm).version()).isEqualTo(before.version());
        assertThat(primary.health().libvirtReachable()).isTrue();

        libvirt.kill();
        Health down = until(primary::health, h -> !h.libvirtReachable(), NOTICE);
        assertThat(down.status()).isEqualTo("ok");
        HostStats stats = primary.hostStats();
        assertThat(stats.libvirtReachable()).isFalse();
        assertThat(stats.domains()).isEmpty();
        assertThat(stats.memoryTotalBytes()).isPositive();
        String reason = "libvirt unreachable at " + libvirt.uri();
        assertThatThrownBy(() -> primary.sync(vm)).isInstanceOfSatisfying(AgentException.class,
                e -> assertThat(e.status()).isEqualTo(503)).hasMessageContaining(reason);
        assertThat(primary.primaries()).filteredOn(p -> p.vm().equals(vm)).singleElement()
                .satisfies(p -> assertThat(p.lastError()).startsWith(reason));
        assertThatThrownBy(() -> primary.destroyDomain(vm)).isInstanceOfSatisfying(AgentException.class,
                e -> assertThat(e.status()).isEqualTo(503)).hasMessageContaining(reason);
        assertThat(secondary.replica(vm).version()).isEqualTo(before.version());
        // The guest goes on writing without its daemon.
        console.awaitRecord(console.lastRecord() + 20, WRITING);
        assertThat(messages()).anyMatch(m -> m.startsWith("libvirt at " + libvirt.uri() + " unreachable: "))
                .anyMatch(m -> m.startsWith("request refused (503): " + reason));

        libvirt.start();
        until(primary::health, Health::libvirtReachable, RECONNECT);
        assertThat(primary.hostStats().domains()).extracting(io.understudy.agent.api.DomainStats::vm).contains(vm);
        PrimaryStatus after = round(primary, vm, console);
        assertThat(after.version()).isGreaterThan(before.version());
        assertThat(secondary.replica(vm).version()).isEqualTo(after.version());
        assertThat(messages()).anyMatch(m -> m.startsWith("libvirt at " + libvirt.uri() + " reachable again after "));
        // Not fenced while its daemon was away: the same guest, still running.
        until(hypervisor::reachable, r -> r, RECONNECT);
        assertThat(hypervisor.state(vm)).contains(PowerState.RUNNING);
    }

    @Test
    void anAgentStartsWhileItsLibvirtdIsDownAndConnectsOnceItIsUp() throws Exception {
        assumeRoot();
        LibvirtHost libvirt = closeLater(LibvirtHost.in(work.resolve("libvirtd")));
        Agents agents = closeLater(new Agents(work.resolve("hosts"), libvirt.uri(), work.resolve("token")));
        agents.start("compute1");
        AgentClient agent = agents.client("compute1");
        assertThat(agent.health().libvirtReachable()).isFalse();
        assertThat(agent.hostStats().libvirtReachable()).isFalse();
        UUID vm = UUID.randomUUID();
        assertThatThrownBy(() -> agent.destroyDomain(vm)).isInstanceOfSatisfying(AgentException.class,
                e -> assertThat(e.status()).isEqualTo(503)).hasMessageContaining("libvirt unreachable at " + libvirt.uri());

        libvirt.start();
        until(agent::health, Health::libvirtReachable, RECONNECT);
        assertThat(agent.hostStats().libvirtReachable()).isTrue();
        assertThat(agent.destroyDomain(vm).state()).isEqualTo("ABSENT");
    }

    @Test
    void aUriNoDaemonCouldAnswerStillStopsServeAsAConfigurationError() throws IOException {
        Path config = Files.writeString(work.resolve("agent.yaml"), """
                host: compute1
                listen: 127.0.0.1:0
                dataDir: %s
                instancesPath: %s
                libvirt:
                  uri: foo:///bar
                auth:
                  mode: token
                  tokenFile: %s
                """.formatted(work.resolve("data"), Files.createDirectories(work.resolve("instances")),
                work.resolve("token")));
        Cli.Result r = Cli.run("serve", "--config", config.toString());
        assertThat(r.exit()).isEqualTo(3);
        assertThat(r.err()).isEqualTo("understudy-agent: cannot connect to foo:///bar: "
                + "no connection driver available for foo:///bar" + System.lineSeparator());
    }

    private static void assumeRoot() {
        assumeTrue(Qemu.ok("id", "-u").strip().equals("0"),
                "needs root: a private libvirtd (devstack/libvirt-host.sh) runs as root");
    }

    private <T extends AutoCloseable> T closeLater(T c) {
        closing.add(c);
        return c;
    }

    private List<String> messages() {
        return log.list.stream().map(ILoggingEvent::getFormattedMessage).toList();
    }

    /** Lets the guest write a few records, then runs a round on the primary, which must succeed. */
    private static PrimaryStatus round(AgentClient primary, UUID vm, ConsoleLog console) throws Exception {
        console.awaitRecord(console.lastRecord() + 20, WRITING);
        PrimaryStatus s = primary.sync(vm);
        assertThat(s.lastError()).isNull();
        return s;
    }

    /** Asks until the answer is as wanted; fails with the last answer after {@code timeout}. */
    private static <T> T until(Callable<T> ask, Predicate<T> wanted, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            T answer = ask.call();
            if (wanted.test(answer)) {
                return answer;
            }
            assertThat(System.nanoTime()).as("still %s after %s", answer, timeout).isLessThan(deadline);
            Thread.sleep(100);
        }
    }
}
