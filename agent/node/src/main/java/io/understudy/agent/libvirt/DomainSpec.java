package io.understudy.agent.libvirt;

import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * A domain to define on one disk image where no Nova is involved (standalone use, tests, the
 * demo's tiny guests): the replica's top layer becomes its virtio disk {@code vda}.
 *
 * @param virtType   {@code qemu} (TCG, works everywhere) or {@code kvm}
 * @param kernelBoot direct kernel boot (the tiny guest); empty boots the disk itself
 * @param console    a file the first serial port writes to, if wanted
 */
public record DomainSpec(
        String name,
        UUID uuid,
        String virtType,
        int memoryMiB,
        int vcpus,
        Path disk,
        String diskFormat,
        Optional<KernelBoot> kernelBoot,
        Optional<Path> console) {

    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_.-]{1,64}");
    private static final Set<String> VIRT_TYPES = Set.of("qemu", "kvm");
    private static final Set<String> FORMATS = Set.of("qcow2", "raw");

    /** A kernel, its initramfs and command line, booted directly. */
    public record KernelBoot(Path kernel, Path initrd, String cmdline) {
        public KernelBoot {
            requireAbsolute(kernel, "kernel");
            requireAbsolute(initrd, "initrd");
            Objects.requireNonNull(cmdline, "cmdline");
        }
    }

    public DomainSpec {
        Objects.requireNonNull(name, "name");
        if (!NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("domain name '" + name + "' is not 1-64 of letters, digits, _ . -");
        }
        Objects.requireNonNull(uuid, "uuid");
        if (!VIRT_TYPES.contains(virtType)) {
            throw new IllegalArgumentException("virt type '" + virtType + "' is not one of " + VIRT_TYPES);
        }
        if (memoryMiB < 16) {
            throw new IllegalArgumentException("domain " + name + ": " + memoryMiB + " MiB of memory is too little");
        }
        if (vcpus < 1) {
            throw new IllegalArgumentException("domain " + name + ": " + vcpus + " vCPUs");
        }
        requireAbsolute(disk, "disk");
        if (!FORMATS.contains(diskFormat)) {
            throw new IllegalArgumentException("disk format '" + diskFormat + "' is not one of " + FORMATS);
        }
        Objects.requireNonNull(kernelBoot, "kernelBoot");
        Objects.requireNonNull(console, "console");
        console.ifPresent(c -> requireAbsolute(c, "console"));
    }

    private static void requireAbsolute(Path p, String what) {
        Objects.requireNonNull(p, what);
        if (!p.isAbsolute()) {
            throw new IllegalArgumentException(what + " path " + p + " is not absolute (libvirt resolves nothing)");
        }
    }

    /** The domain XML libvirt defines it from. */
    public String toXml() {
        StringBuilder x = new StringBuilder(1024);
        x.append("<domain type='").append(virtType).append("'>\n")
                .append("  <name>").append(Xml.escape(name)).append("</name>\n")
                .append("  <uuid>").append(uuid).append("</uuid>\n")
                .append("  <memory unit='MiB'>").append(memoryMiB).append("</memory>\n")
                .append("  <vcpu>").append(vcpus).append("</vcpu>\n")
                .append("  <os>\n    <type arch='x86_64' machine='pc'>hvm</type>\n");
        kernelBoot.ifPresentOrElse(k -> x
                .append("    <kernel>").append(Xml.escape(k.kernel().toString())).append("</kernel>\n")
                .append("    <initrd>").append(Xml.escape(k.initrd().toString())).append("</initrd>\n")
                .append("    <cmdline>").append(Xml.escape(k.cmdline())).append("</cmdline>\n"),
                () -> x.append("    <boot dev='hd'/>\n"));
        x.append("  </os>\n  <features><acpi/></features>\n")
                // A guest that stops stays stopped: nothing restarts it behind the agent's back.
                .append("  <on_poweroff>destroy</on_poweroff>\n  <on_reboot>destroy</on_reboot>\n")
                .append("  <on_crash>destroy</on_crash>\n  <devices>\n")
                .append("    <disk type='file' device='disk'>\n")
                .append("      <driver name='qemu' type='").append(diskFormat).append("'/>\n")
                .append("      <source file='").append(Xml.escape(disk.toString())).append("'/>\n")
                .append("      <target dev='vda' bus='virtio'/>\n    </disk>\n");
        console.ifPresent(c -> x.append("    <serial type='file'><source path='").append(Xml.escape(c.toString()))
                .append("' append='on'/><target port='0'/></serial>\n"));
        return x.append("    <memballoon model='none'/>\n  </devices>\n</domain>\n").toString();
    }
}
