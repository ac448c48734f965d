package io.understudy.agent.replication;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.understudy.agent.libvirt.DomainDescription;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * The disk a round replicates is found by its role, Nova's root disk, not by its place; a layout
 * where no single disk can be it, or where it is another file than the one protected, is one the
 * agent cannot follow, never a guess.
 */
class LayoutTest {

    private static final UUID VM = UUID.fromString("6f1c2a9e-0d4b-4c3e-9a51-2b7d8e6f0a13");
    private static final Path INSTANCES = Path.of("/var/lib/nova/instances");
    private static final String DIR = "/var/lib/nova/instances/" + VM;

    @Test
    void rescuePutsItsDiskFirstAndTheRootDiskIsStillTheOneReplicated() throws IOException {
        DomainDescription rescued = domain(disk("vda", DIR + "/disk.rescue", "qcow2"), disk("vdb", DIR + "/disk", "qcow2"));
        DomainDescription.Disk root = Layout.rootDisk(VM, rescued, INSTANCES);
        assertThat(root.target()).isEqualTo("vdb");
        assertThat(root.source()).contains(INSTANCES.resolve(VM + "/disk"));
    }

    @Test
    void aNovaDomainWithoutItsRootDiskCannotBeFollowed() {
        DomainDescription moved = domain(disk("vda", "/srv/elsewhere/disk", "qcow2"), disk("vdb", DIR + "/disk.local", "qcow2"));
        assertThatThrownBy(() -> Layout.rootDisk(VM, moved, INSTANCES)).isInstanceOf(CannotFollowException.class)
                .hasMessage("domain instance-00000001 has no root disk " + DIR + "/disk (its disks: [vda=/srv/elsewhere/disk, "
                        + "vdb=" + DIR + "/disk.local])");
    }

    @Test
    void aRawOrReadOnlyOrNetworkRootDiskIsAFormatTheAgentDoesNotCapture() {
        assertThatThrownBy(() -> Layout.rootDisk(VM, domain(disk("vda", DIR + "/disk", "raw")), INSTANCES))
                .isInstanceOf(CannotFollowException.class)
                .hasMessage("the root disk vda (" + DIR + "/disk) of domain instance-00000001 is not a writable qcow2 file "
                        + "disk, which is what the agent captures: device disk, format raw");
        String readOnly = disk("vda", DIR + "/disk", "qcow2").replace("</disk>", "<readonly/></disk>");
        assertThatThrownBy(() -> Layout.rootDisk(VM, domain(readOnly), INSTANCES))
                .hasMessageEndingWith("device disk, format qcow2, read-only");
        // Ceph RBD: no file at all, and the config drive is the only disk in the instance directory.
        String rbd = "<disk type='network' device='disk'><driver name='qemu' type='raw'/><source protocol='rbd' "
                + "name='vms/" + VM + "_disk'/><target dev='vda' bus='virtio'/></disk>";
        String configDrive = "<disk type='file' device='cdrom'><driver name='qemu' type='raw'/><source file='" + DIR
                + "/disk.config'/><target dev='sda' bus='sata'/><readonly/></disk>";
        assertThatThrownBy(() -> Layout.rootDisk(VM, domain(rbd, configDrive), INSTANCES))
                .isInstanceOf(CannotFollowException.class).hasMessageContaining("has no root disk " + DIR + "/disk");
    }

    @Test
    void twoDisksOnTheRootDiskFileAreTwoCandidatesNotAChoice() {
        DomainDescription twice = domain(disk("vda", DIR + "/disk", "qcow2"), disk("vdb", DIR + "/./disk", "qcow2"));
        assertThatThrownBy(() -> Layout.rootDisk(VM, twice, INSTANCES)).isInstanceOf(CannotFollowException.class)
                .hasMessage("domain instance-00000001 has 2 disks on its root disk " + DIR + "/disk: [vda, vdb]");
    }

    @Test
    void aDomainNovaDidNotDefineHasItsOneQcow2DiskReplicatedAndWithSeveralNone() throws IOException {
        DomainDescription standalone = domain(disk("vda", "/srv/images/boot.iso", "raw"),
                disk("vdb", "/srv/images/guest.qcow2", "qcow2"));
        assertThat(Layout.rootDisk(VM, standalone, INSTANCES).target()).isEqualTo("vdb");
        DomainDescription two = domain(disk("vdb", "/srv/images/guest.qcow2", "qcow2"),
                disk("vdc", "/srv/images/data.qcow2", "qcow2"));
        assertThatThrownBy(() -> Layout.rootDisk(VM, two, INSTANCES)).isInstanceOf(CannotFollowException.class)
                .hasMessageContaining("has 2 writable qcow2 file disks and no Nova root disk " + DIR + "/disk, so which "
                        + "disk to replicate is not known");
        assertThatThrownBy(() -> Layout.rootDisk(VM, domain(disk("vda", "/srv/images/boot.iso", "raw")), INSTANCES))
                .isInstanceOf(CannotFollowException.class).hasMessageContaining("has no writable qcow2 file disks");
    }

    @Test
    void theRootDiskMustStayTheFileItsProtectionWasSetUpWith() throws IOException {
        DomainDescription standalone = domain(disk("vda", "/var/lib/nova/instances/guest-b.qcow2", "qcow2"));
        DomainDescription.Disk root = Layout.rootDisk(VM, standalone, INSTANCES);
        assertThatCode(() -> Layout.requireProtectedDisk(standalone, root, Optional.empty())).doesNotThrowAnyException();
        assertThatCode(() -> Layout.requireProtectedDisk(standalone, root,
                Optional.of(Path.of("/var/lib/nova/instances/x/../guest-b.qcow2")))).doesNotThrowAnyException();
        assertThatThrownBy(() -> Layout.requireProtectedDisk(standalone, root,
                Optional.of(Path.of("/var/lib/nova/instances/guest-a.qcow2")))).isInstanceOf(CannotFollowException.class)
                .hasMessage("the root disk vda of domain instance-00000001 is now /var/lib/nova/instances/guest-b.qcow2, "
                        + "not /var/lib/nova/instances/guest-a.qcow2 that its protection was set up with");
    }

    private static String disk(String target, String file, String format) {
        return "<disk type='file' device='disk'><driver name='qemu' type='" + format + "'/><source file='" + file
                + "'/><target dev='" + target + "' bus='virtio'/></disk>";
    }

    private static DomainDescription domain(String... disks) {
        return DomainDescription.parse("<domain type='qemu'><name>instance-00000001</name><uuid>" + VM
                + "</uuid><devices>" + String.join("", disks) + "</devices></domain>");
    }
}
