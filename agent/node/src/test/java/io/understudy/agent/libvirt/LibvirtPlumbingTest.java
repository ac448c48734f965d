package io.understudy.agent.libvirt;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.understudy.agent.api.DomainStats;
import io.understudy.agent.api.HostStats;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The libvirt plumbing against libvirt's own test driver, in-process: domains by UUID, disks from
 * XML, destroy confirmed by the state read back, define and start, host statistics. Each test
 * gets a private node ({@code test:///PATH}; {@code test:///default} is one state per process,
 * so one test's destroy would be another's surprise) running one domain on a qcow2 disk.
 */
class LibvirtPlumbingTest {

    private static final UUID TEST_DOMAIN = UUID.fromString("6695eb01-f6a4-8304-79aa-97f2502e193f");
    private static final String NODE = """
            <node>
              <domain type='test'>
                <name>test</name>
                <uuid>6695eb01-f6a4-8304-79aa-97f2502e193f</uuid>
                <memory>131072</memory>
                <vcpu>1</vcpu>
                <os><type>hvm</type></os>
                <devices>
                  <disk type='file' device='disk'>
                    <driver name='qemu' type='qcow2'/>
                    <source file='/guest/diskimage1'/>
                    <target dev='vda' bus='virtio'/>
                  </disk>
                </devices>
              </domain>
            </node>
            """;

    private static final ClusterSink IGNORED = new ClusterSink() {
        @Override
        public void data(long cluster, ByteBuffer bytes) {}

        @Override
        public void zeros(long first, long count) {}
    };

    private Hypervisor hypervisor;

    @BeforeEach
    void connect(@TempDir Path dir) throws Exception {
        Path node = Files.writeString(dir.resolve("node.xml"), NODE);
        hypervisor = Hypervisor.open("test://" + node.toAbsolutePath());
    }

    @Test
    void theSharedDefaultNodeAnswersToo() throws Exception {
        try (Hypervisor shared = Hypervisor.open("test:///default")) {
            assertThat(shared.describe(TEST_DOMAIN)).map(DomainDescription::name).contains("test");
        }
    }

    @AfterEach
    void close() throws Exception {
        hypervisor.close();
    }

    /** A Nova instance as Nova's libvirt driver writes it: a qcow2 root disk, a config drive, a network disk. */
    private static final String NOVA_XML = """
            <domain type='kvm' id='7'>
              <name>instance-0000000a</name>
              <uuid>0f8f3c1e-5a7b-4c43-9d1e-2b6f1d5a9c01</uuid>
              <metadata><nova:instance xmlns:nova="http://openstack.org/xmlns/libvirt/nova/1.1"/></metadata>
              <devices>
                <disk type='file' device='disk'>
                  <driver name='qemu' type='qcow2' cache='none'/>
                  <source file='/var/lib/nova/instances/0f8f3c1e-5a7b-4c43-9d1e-2b6f1d5a9c01/disk'/>
                  <backingStore type='file'><format type='raw'/><source file='/var/lib/nova/instances/_base/abc'/></backingStore>
                  <target dev='vda' bus='virtio'/>
                </disk>
                <disk type='file' device='cdrom'>
                  <driver name='qemu' type='raw'/>
                  <source file='/var/lib/nova/instances/0f8f3c1e-5a7b-4c43-9d1e-2b6f1d5a9c01/disk.config'/>
                  <target dev='sda' bus='sata'/>
                  <readonly/>
                </disk>
                <disk type='network' device='disk'>
                  <driver name='qemu' type='raw'/>
                  <source protocol='rbd' name='volumes/volume-1'/>
                  <target dev='vdb' bus='virtio'/>
                </disk>
              </devices>
            </domain>
            """;

    @Test
    void disksOfANovaInstance() {
        DomainDescription d = DomainDescription.parse(NOVA_XML);
        assertThat(d.uuid()).isEqualTo(UUID.fromString("0f8f3c1e-5a7b-4c43-9d1e-2b6f1d5a9c01"));
        assertThat(d.name()).isEqualTo("instance-0000000a");
        assertThat(d.disks()).extracting(DomainDescription.Disk::target).containsExactly("vda", "sda", "vdb");
        DomainDescription.Disk root = d.disk("vda");
        assertThat(root.source()).contains(Path.of("/var/lib/nova/instances/0f8f3c1e-5a7b-4c43-9d1e-2b6f1d5a9c01/disk"));
        assertThat(root.format()).contains("qcow2");
        assertThat(root.checkpointable()).isTrue();
        assertThat(d.disk("sda").checkpointable()).isFalse();
        assertThat(d.disk("sda").readOnly()).isTrue();
        assertThat(d.disk("vdb").source()).isEmpty();
        assertThat(d.disk("vdb").checkpointable()).isFalse();
        assertThatThrownBy(() -> d.disk("vdz")).hasMessageContaining("has no disk vdz").hasMessageContaining("vda");
    }

    @Test
    void badDomainXmlIsRefusedClearly() {
        assertThatThrownBy(() -> DomainDescription.parse("<domain><name>a</name></domain>"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("a has no <uuid>");
        assertThatThrownBy(() -> DomainDescription.parse("<domain><name>a</name><uuid>x-y</uuid></domain>"))
                .hasMessageContaining("malformed <uuid> x-y");
        assertThatThrownBy(() -> DomainDescription.parse("<network/>")).hasMessageContaining("not <domain>");
        assertThatThrownBy(() -> DomainDescription.parse("<domain>")).hasMessageContaining("not well-formed");
        // No entity may reach into the agent's files.
        assertThatThrownBy(() -> DomainDescription.parse("""
                <?xml version="1.0"?>
                <!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>
                <domain><name>&x;</name><uuid>0f8f3c1e-5a7b-4c43-9d1e-2b6f1d5a9c01</uuid></domain>
                """)).hasMessageContaining("not well-formed");
    }

    @Test
    void domainsByUuid() throws Exception {
        assertThat(hypervisor.runningDomains()).extracting(DomainDescription::uuid).containsExactly(TEST_DOMAIN);
        DomainDescription test = hypervisor.describe(TEST_DOMAIN).orElseThrow();
        assertThat(test.name()).isEqualTo("test");
        assertThat(test.disk("vda").source()).contains(Path.of("/guest/diskimage1"));
        assertThat(test.disk("vda").checkpointable()).isTrue();
        assertThat(hypervisor.state(TEST_DOMAIN)).contains(PowerState.RUNNING);
        UUID unknown = UUID.randomUUID();
        assertThat(hypervisor.describe(unknown)).isEmpty();
        assertThat(hypervisor.state(unknown)).isEmpty();
    }

    @Test
    void destroyIsConfirmedByTheStateReadBack() throws Exception {
        Hypervisor.Destroyed first = hypervisor.destroy(TEST_DOMAIN);
        assertThat(first.wasRunning()).isTrue();
        assertThat(first.after()).contains(PowerState.SHUTOFF);
        assertThat(hypervisor.runningDomains()).isEmpty();

        Hypervisor.Destroyed again = hypervisor.destroy(TEST_DOMAIN);
        assertThat(again.wasRunning()).isFalse();
        assertThat(again.after()).contains(PowerState.SHUTOFF);

        UUID unknown = UUID.randomUUID();
        assertThat(hypervisor.destroy(unknown)).isEqualTo(new Hypervisor.Destroyed(unknown, false, Optional.empty()));
    }

    @Test
    void defineAndStartFromAReplicaDisk() throws Exception {
        UUID vm = UUID.randomUUID();
        DomainSpec spec = new DomainSpec("replica-of-" + vm.toString().substring(0, 8), vm, "qemu", 128, 1,
                Path.of("/var/lib/understudy/replicas", vm.toString(), "layer-7.qcow2"), "qcow2", Optional.empty(),
                Optional.empty());
        DomainDescription started = hypervisor.defineAndStart(spec);
        assertThat(started.uuid()).isEqualTo(vm);
        assertThat(started.disk("vda").source()).contains(spec.disk());
        assertThat(started.disk("vda").format()).contains("qcow2");
        assertThat(hypervisor.state(vm)).contains(PowerState.RUNNING);

        assertThat(hypervisor.destroy(vm).after()).contains(PowerState.SHUTOFF);
        hypervisor.undefine(vm);
        assertThat(hypervisor.describe(vm)).isEmpty();
    }

    @Test
    void domainSpecsAreValidatedAndSurviveTheirOwnXml() {
        UUID vm = UUID.randomUUID();
        Path disk = Path.of("/srv/it's & <odd>/disk");
        DomainSpec spec = new DomainSpec("g1", vm, "kvm", 64, 2, disk, "raw",
                Optional.of(new DomainSpec.KernelBoot(Path.of("/k/vmlinuz"), Path.of("/k/initrd.gz"), "console=ttyS0 a=<b>")),
                Optional.of(Path.of("/srv/g1.console")));
        DomainDescription back = DomainDescription.parse(spec.toXml());
        assertThat(back.uuid()).isEqualTo(vm);
        assertThat(back.disk("vda").source()).contains(disk);
        assertThat(back.disk("vda").format()).contains("raw");

        assertThatThrownBy(() -> new DomainSpec("bad name", vm, "qemu", 64, 1, disk, "raw", Optional.empty(),
                Optional.empty())).hasMessageContaining("'bad name'");
        assertThatThrownBy(() -> new DomainSpec("g", vm, "qemu", 64, 1, Path.of("disk"), "raw", Optional.empty(),
                Optional.empty())).hasMessageContaining("disk path disk is not absolute");
        assertThatThrownBy(() -> new DomainSpec("g", vm, "xen", 64, 1, disk, "raw", Optional.empty(),
                Optional.empty())).hasMessageContaining("virt type 'xen'");
        assertThatThrownBy(() -> new DomainSpec("g", vm, "qemu", 64, 1, disk, "vmdk", Optional.empty(),
                Optional.empty())).hasMessageContaining("disk format 'vmdk'");
    }

    @Test
    void hostStatsHaveTheirShape(@TempDir Path instances) throws Exception {
        HostSampler sampler = new HostSampler(hypervisor, "compute1", instances, Path.of("/proc"), Clock.systemUTC());
        UUID replica = UUID.randomUUID();
        HostStats s = sampler.sample(Map.of(replica, 3.5), Map.of(replica, 12L), Map.of());
        assertThat(s.host()).isEqualTo("compute1");
        assertThat(s.cpuPercent()).isBetween(0.0, 100.0);
        assertThat(s.memoryTotalBytes()).isPositive();
        assertThat(s.memoryFreeBytes()).isBetween(0L, s.memoryTotalBytes());
        assertThat(s.diskTotalBytes()).isEqualTo(Files.getFileStore(instances).getTotalSpace());
        assertThat(s.diskFreeBytes()).isBetween(0L, s.diskTotalBytes());
        assertThat(s.load1()).isNotNegative();
        assertThat(s.runningDomains()).isEqualTo(1);
        assertThat(s.domains()).extracting(DomainStats::vm).containsExactly(TEST_DOMAIN);
        assertThat(s.domains().get(0).cpuPercent()).isNotNegative();
        assertThat(s.domains().get(0).readBytes()).isNotNegative();
        assertThat(s.replicaLagSeconds()).containsEntry(replica, 3.5);
        assertThat(s.replicaVersions()).containsEntry(replica, 12L);
        assertThat(s.libvirtReachable()).isTrue();

        hypervisor.destroy(TEST_DOMAIN);
        HostStats after = sampler.sample(Map.of(), Map.of(), Map.of());
        assertThat(after.runningDomains()).isZero();
        assertThat(after.domains()).isEmpty();
    }

    @Test
    void aMalformedProcIsNamedInTheError(@TempDir Path fakeProc) throws Exception {
        Files.writeString(fakeProc.resolve("stat"), "intr 1 2 3\n");
        assertThatThrownBy(() -> new HostSampler(hypervisor, "h", fakeProc, fakeProc, Clock.systemUTC()))
                .hasMessageContaining(fakeProc.resolve("stat") + " has no aggregate");
    }

    @Test
    void captureRefusesWhatItCannotDoBeforeTouchingAnything(@TempDir Path scratch) throws Exception {
        LiveCapture capture = new LiveCapture(hypervisor, scratch, Duration.ofSeconds(5));
        assertThatThrownBy(() -> capture.run(new LiveCapture.Request(TEST_DOMAIN, Optional.empty(), "understudy-1",
                65536, Map.of("vdz", IGNORED), Set.of()))).hasMessageContaining("has no disk vdz");
        // The test driver cannot back up: said, with libvirt's words, and nothing left behind.
        assertThatThrownBy(() -> capture.run(new LiveCapture.Request(TEST_DOMAIN, Optional.empty(), "understudy-1",
                65536, Map.of("vda", IGNORED), Set.of()))).isInstanceOf(HypervisorException.class)
                .hasMessageContaining("begin a full backup of domain test").hasMessageContaining("not supported");
        assertThat(capture.checkpoints(TEST_DOMAIN)).isEmpty();
        try (var left = Files.list(scratch)) {
            assertThat(left).isEmpty();
        }
        hypervisor.destroy(TEST_DOMAIN);
        assertThatThrownBy(() -> capture.run(new LiveCapture.Request(TEST_DOMAIN, Optional.of("understudy-1"),
                "understudy-2", 65536, Map.of("vda", IGNORED), Set.of()))).hasMessageContaining("domain test is not running");
        UUID unknown = UUID.randomUUID();
        assertThatThrownBy(() -> capture.run(new LiveCapture.Request(unknown, Optional.empty(), "understudy-1",
                65536, Map.of("vda", IGNORED), Set.of()))).hasMessageContaining("no domain " + unknown);
    }

    @Test
    void aFailedRoundClearsOurLeftoversLeavesNoMetadataOfOursAndNeverTouchesOthers(@TempDir Path scratch)
            throws Exception {
        org.libvirt.Domain d = hypervisor.domain(TEST_DOMAIN);
        for (String name : List.of("understudy-crashed", "understudy-7", "nightly-backup")) {
            d.checkpointCreateXML("<domaincheckpoint><name>" + name + "</name></domaincheckpoint>", 0);
        }
        LiveCapture capture = new LiveCapture(hypervisor, scratch, Duration.ofSeconds(5));
        // The test driver cannot back up, so the round fails after its housekeeping: the previous
        // checkpoint's metadata goes too (its bitmaps would stay for the retry), so that Nova can
        // undefine the domain meanwhile.
        assertThatThrownBy(() -> capture.run(new LiveCapture.Request(TEST_DOMAIN, Optional.of("understudy-7"),
                "understudy-8", 65536, Map.of("vda", IGNORED), Set.of()))).isInstanceOf(HypervisorException.class);
        assertThat(capture.checkpoints(TEST_DOMAIN)).containsExactly("nightly-backup");
        d.checkpointCreateXML("<domaincheckpoint><name>understudy-9</name></domaincheckpoint>", 0);
        capture.forget(TEST_DOMAIN, Optional.empty());
        assertThat(capture.checkpoints(TEST_DOMAIN)).containsExactly("nightly-backup");
    }

    @Test
    void parkAllRemovesTheMetadataOfOurCheckpointsOnEveryDomainAndOnlyOurs(@TempDir Path scratch) throws Exception {
        org.libvirt.Domain d = hypervisor.domain(TEST_DOMAIN);
        for (String name : List.of("understudy-3", "nightly-backup")) {
            d.checkpointCreateXML("<domaincheckpoint><name>" + name + "</name></domaincheckpoint>", 0);
        }
        LiveCapture capture = new LiveCapture(hypervisor, scratch, Duration.ofSeconds(5));
        assertThat(capture.parkAll()).containsExactly("test/understudy-3");
        assertThat(capture.checkpoints(TEST_DOMAIN)).containsExactly("nightly-backup");
        assertThat(capture.parkAll()).isEmpty();
    }

    @Test
    void captureRequestsAreValidated() {
        Map<String, ClusterSink> none = Map.of();
        Map<String, ClusterSink> one = Map.of("vda", IGNORED);
        assertThatThrownBy(() -> new LiveCapture.Request(TEST_DOMAIN, Optional.empty(), "backup-1", 65536, one, Set.of()))
                .hasMessageContaining("next checkpoint 'backup-1' is not understudy-");
        assertThatThrownBy(() -> new LiveCapture.Request(TEST_DOMAIN, Optional.of("understudy-1"), "understudy-1",
                65536, one, Set.of())).hasMessageContaining("is the previous one");
        assertThatThrownBy(() -> new LiveCapture.Request(TEST_DOMAIN, Optional.of("understudy-1"), "understudy-2",
                65536, one, Set.of("understudy-1"))).hasMessageContaining("stale bitmap understudy-1 is the previous");
        assertThatThrownBy(() -> new LiveCapture.Request(TEST_DOMAIN, Optional.empty(), "understudy-2", 65536, one,
                Set.of("nightly-backup"))).hasMessageContaining("stale bitmap 'nightly-backup' is not understudy-");
        assertThatThrownBy(() -> new LiveCapture.Request(TEST_DOMAIN, Optional.empty(), "understudy-1", 3000, one, Set.of()))
                .hasMessageContaining("cluster size 3000");
        assertThatThrownBy(() -> new LiveCapture.Request(TEST_DOMAIN, Optional.empty(), "understudy-1", 65536, none, Set.of()))
                .hasMessageContaining("no disk to capture");
    }

    @Test
    void anUnreachableDaemonSaysHowToStartIt() {
        assertThatThrownBy(() -> Hypervisor.open("qemu:///system?socket=/nonexistent/libvirt-sock"))
                .isInstanceOf(HypervisorException.class)
                .hasMessageContaining("cannot connect to qemu:///system?socket=/nonexistent/libvirt-sock")
                .hasMessageContaining("devstack/libvirt.sh up");
    }

    @Test
    void theDaemonsConnectionWaitsForAnAbsentDaemonAndSaysSoOnEveryCall(@TempDir Path instances) throws Exception {
        String uri = "qemu:///system?socket=/nonexistent/libvirt-sock";
        try (Hypervisor absent = Hypervisor.connect(uri, Duration.ofSeconds(1))) {
            assertThat(absent.reachable()).isFalse();
            assertThatThrownBy(() -> absent.describe(TEST_DOMAIN)).isInstanceOf(LibvirtUnreachableException.class)
                    .hasMessageStartingWith("libvirt unreachable at " + uri + " for ")
                    .hasMessageContaining("Failed to connect socket to '/nonexistent/libvirt-sock'")
                    .hasMessageEndingWith("; reconnecting");
            assertThatThrownBy(() -> absent.destroy(TEST_DOMAIN)).isInstanceOf(LibvirtUnreachableException.class);
            // The node's own figures still count; the domains are unknown, not none.
            HostStats s = new HostSampler(absent, "compute1", instances, Path.of("/proc"), Clock.systemUTC())
                    .sample(Map.of(), Map.of(), Map.of());
            assertThat(s.libvirtReachable()).isFalse();
            assertThat(s.memoryTotalBytes()).isPositive();
            assertThat(s.domains()).isEmpty();
        }
    }

    @Test
    void aUriNoDaemonCouldAnswerIsRefusedAtOnce() {
        assertThatThrownBy(() -> Hypervisor.connect("foo:///bar", Duration.ofSeconds(1)))
                .isNotInstanceOf(LibvirtUnreachableException.class).isInstanceOf(HypervisorException.class)
                .hasMessage("cannot connect to foo:///bar: no connection driver available for foo:///bar");
        assertThatThrownBy(() -> Hypervisor.connect("qemu:///nonsense", Duration.ofSeconds(1)))
                .hasMessageContaining("unexpected qemu URI path '/nonsense'");
    }
}
