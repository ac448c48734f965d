package io.understudy.agent.libvirt;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import org.w3c.dom.Element;

/**
 * A domain as its XML describes it: its UUID (for a Nova instance, the server's UUID), its name
 * ({@code instance-XXXXXXXX} under Nova) and its disks.
 */
public record DomainDescription(UUID uuid, String name, List<Disk> disks) {

    /**
     * One {@code <disk>}: its guest target ({@code vda}), the device kind ({@code disk},
     * {@code cdrom}), the image behind it when it is a file (Nova's {@code instances_path/<uuid>/disk})
     * and the image format libvirt opens it with ({@code qcow2}, {@code raw}).
     */
    public record Disk(String target, String device, Optional<Path> source, Optional<String> format,
            boolean readOnly) {
        public Disk {
            Objects.requireNonNull(target, "target");
            Objects.requireNonNull(device, "device");
            Objects.requireNonNull(source, "source");
            Objects.requireNonNull(format, "format");
        }

        /** A disk libvirt can put a dirty bitmap on: a writable qcow2 file disk. */
        public boolean checkpointable() {
            return device.equals("disk") && !readOnly && source.isPresent() && format.equals(Optional.of("qcow2"));
        }
    }

    public DomainDescription {
        Objects.requireNonNull(uuid, "uuid");
        Objects.requireNonNull(name, "name");
        disks = List.copyOf(disks);
    }

    /** Reads a domain XML ({@code virDomainGetXMLDesc}). */
    public static DomainDescription parse(String xml) {
        Element domain = Xml.parse(xml, "domain XML");
        if (!domain.getTagName().equals("domain")) {
            throw new IllegalArgumentException("domain XML has root <" + domain.getTagName() + ">, not <domain>");
        }
        String name = Xml.text(domain, "name")
                .orElseThrow(() -> new IllegalArgumentException("domain XML has no <name>"));
        String uuidText = Xml.text(domain, "uuid")
                .orElseThrow(() -> new IllegalArgumentException("domain XML of " + name + " has no <uuid>"));
        UUID uuid;
        try {
            uuid = UUID.fromString(uuidText);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("domain " + name + " has a malformed <uuid> " + uuidText, e);
        }
        List<Disk> disks = new ArrayList<>();
        for (Element devices : Xml.children(domain, "devices")) {
            for (Element disk : Xml.children(devices, "disk")) {
                disks.add(disk(name, disk));
            }
        }
        return new DomainDescription(uuid, name, disks);
    }

    private static Disk disk(String domain, Element disk) {
        String target = Xml.child(disk, "target").flatMap(t -> Xml.attribute(t, "dev"))
                .orElseThrow(() -> new IllegalArgumentException("a disk of domain " + domain + " has no <target dev>"));
        String device = Xml.attribute(disk, "device").orElse("disk");
        // Only file disks have a path we can read; block, network and volume disks name other things.
        Optional<Path> source = Xml.attribute(disk, "type").orElse("file").equals("file")
                ? Xml.child(disk, "source").flatMap(s -> Xml.attribute(s, "file")).map(Path::of)
                : Optional.empty();
        Optional<String> format = Xml.child(disk, "driver").flatMap(d -> Xml.attribute(d, "type"));
        boolean readOnly = Xml.child(disk, "readonly").isPresent();
        return new Disk(target, device, source, format, readOnly);
    }

    /** The disk with guest target {@code target}. */
    public Disk disk(String target) {
        return disks.stream().filter(d -> d.target().equals(target)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("domain " + name + " has no disk " + target
                        + " (it has " + disks.stream().map(Disk::target).toList() + ")"));
    }
}
