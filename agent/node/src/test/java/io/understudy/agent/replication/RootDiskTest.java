package io.understudy.agent.replication;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.understudy.agent.libvirt.DomainDescription;
import java.io.IOException;
import java.nio.file.Path;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** The disk a round replicates is found by its role, Nova's root disk, not by its place. */
class RootDiskTest {

    private static final UUID VM = UUID.fromString("6f1c2a9e-0d4b-4c3e-9a51-2b7d8e6f0a13");
    private static final Path INSTANCES = Path.of("/var/lib/nova/instances");

    @Test
    void rescuePutsItsDiskFirstAndTheRootDiskIsStillTheOneReplicated() throws IOException {
        DomainDescription rescued = domain(disk("vda", "/var/lib/nova/instances/" + VM + "/disk.rescue", "qcow2"),
                disk("vdb", "/var/lib/nova/instances/" + VM + "/disk", "qcow2"));
        DomainDescription.Disk root = Replicator.rootDisk(VM, rescued, INSTANCES);
        assertThat(root.target()).isEqualTo("vdb");
        assertThat(root.source()).contains(INSTANCES.resolve(VM + "/disk"));
    }

    @Test
    void aNovaDomainWithoutItsRootDiskIsAnUnknownLayoutNotAGuess() {
        DomainDescription odd = domain(disk("vda", "/var/lib/nova/instances/" + VM + "/disk.local", "qcow2"),
                disk("vdb", "/var/lib/nova/instances/" + VM + "/disk", "raw"));
        assertThatThrownBy(() -> Replicator.rootDisk(VM, odd, INSTANCES)).isInstanceOf(IOException.class)
                .hasMessageContaining("has no root disk to replicate: no writable qcow2 file "
                        + INSTANCES.resolve(VM + "/disk"))
                .hasMessageContaining("vda=/var/lib/nova/instances/" + VM + "/disk.local");
    }

    @Test
    void aDomainNovaDidNotDefineHasItsFirstQcow2DiskReplicated() throws IOException {
        DomainDescription standalone = domain(disk("vda", "/srv/images/boot.iso", "raw"),
                disk("vdb", "/srv/images/guest.qcow2", "qcow2"), disk("vdc", "/srv/images/data.qcow2", "qcow2"));
        assertThat(Replicator.rootDisk(VM, standalone, INSTANCES).target()).isEqualTo("vdb");
        assertThatThrownBy(() -> Replicator.rootDisk(VM, domain(disk("vda", "/srv/images/boot.iso", "raw")), INSTANCES))
                .hasMessageContaining("has no root disk to replicate");
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
