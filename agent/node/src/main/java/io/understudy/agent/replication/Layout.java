package io.understudy.agent.replication;

import io.understudy.agent.libvirt.DomainDescription;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * Which disk of a VM's domain a round replicates, or why the agent cannot follow the domain's
 * layout. Pure: it judges a domain's description, and what it refuses is never a passing state
 * (a domain briefly gone, busy or stopped is the caller's to retry), so the VM's protection stops.
 */
final class Layout {

    private Layout() {
    }

    /**
     * The disk to replicate, by its role: Nova's root disk is {@code INSTANCES/VM/disk}, wherever
     * it sits in the domain (rescue puts {@code disk.rescue} first), and must be a writable qcow2
     * file disk. A domain Nova did not define (no disk under {@code INSTANCES/VM/}: the standalone
     * use) has its one writable qcow2 file disk replicated; with none or several, which disk holds
     * the VM is not known.
     *
     * @throws CannotFollowException when no single disk can be the root disk
     */
    static DomainDescription.Disk rootDisk(UUID vm, DomainDescription domain, Path instancesPath)
            throws CannotFollowException {
        Path novaDir = instancesPath.resolve(vm.toString());
        Path novaRoot = novaDir.resolve("disk");
        boolean nova = domain.disks().stream().anyMatch(d -> d.source().map(p -> normal(p).startsWith(novaDir)).orElse(false));
        if (nova) {
            List<DomainDescription.Disk> roots = domain.disks().stream()
                    .filter(d -> d.source().map(p -> normal(p).equals(novaRoot)).orElse(false)).toList();
            if (roots.isEmpty()) {
                throw new CannotFollowException("domain " + domain.name() + " has no root disk " + novaRoot + " (its disks: "
                        + list(domain.disks()) + ")");
            }
            if (roots.size() > 1) {
                throw new CannotFollowException("domain " + domain.name() + " has " + roots.size() + " disks on its root disk "
                        + novaRoot + ": " + roots.stream().map(DomainDescription.Disk::target).toList());
            }
            DomainDescription.Disk root = roots.get(0);
            if (!root.checkpointable()) {
                throw new CannotFollowException("the root disk " + root.target() + " (" + novaRoot + ") of domain "
                        + domain.name() + " is not a writable qcow2 file disk, which is what the agent captures: "
                        + describe(root));
            }
            return root;
        }
        List<DomainDescription.Disk> candidates = domain.disks().stream()
                .filter(DomainDescription.Disk::checkpointable).toList();
        if (candidates.size() != 1) {
            throw new CannotFollowException("domain " + domain.name() + " has " + (candidates.isEmpty() ? "no"
                    : candidates.size()) + " writable qcow2 file disks and no Nova root disk " + novaRoot
                    + ", so which disk to replicate is not known (its disks: " + list(domain.disks()) + ")");
        }
        return candidates.get(0);
    }

    /**
     * Refuses a root disk that is another file than the one the VM's protection was set up with
     * (the domain defined again on other storage): a round would replicate another disk's content
     * into the VM's replicas as if the VM had written it.
     *
     * @param protectedDisk the root disk's file as the last round captured it; empty before the first
     */
    static void requireProtectedDisk(DomainDescription domain, DomainDescription.Disk root, Optional<Path> protectedDisk)
            throws CannotFollowException {
        Path now = normal(root.source().orElseThrow());
        if (protectedDisk.isPresent() && !now.equals(normal(protectedDisk.get()))) {
            throw new CannotFollowException("the root disk " + root.target() + " of domain " + domain.name() + " is now "
                    + now + ", not " + protectedDisk.get() + " that its protection was set up with");
        }
    }

    private static Path normal(Path p) {
        return p.toAbsolutePath().normalize();
    }

    private static List<String> list(List<DomainDescription.Disk> disks) {
        return disks.stream().map(d -> d.target() + "=" + d.source().map(Path::toString).orElse(d.device())).toList();
    }

    private static String describe(DomainDescription.Disk d) {
        return "device " + d.device() + ", format " + d.format().orElse("unknown") + (d.readOnly() ? ", read-only" : "");
    }
}
