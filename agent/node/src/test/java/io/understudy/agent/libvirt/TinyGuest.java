package io.understudy.agent.libvirt;

import io.understudy.agent.testing.Qemu;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Optional;
import java.util.UUID;
import java.util.stream.Stream;

/**
 * The tiny guest of devstack/tiny-guest (its init.sh says the record format): built once per
 * machine into a folder QEMU can read, booted from a qcow2 disk, and judged by its records.
 */
public final class TinyGuest {

    public static final int RECORD = 4096;
    private static final String PREFIX = "understudy-record ";

    private final Path kernel;
    private final Path initrd;
    private final int slots;
    private final int stride;

    private TinyGuest(Path dir, int slots, int stride) {
        this.kernel = dir.resolve("vmlinuz");
        this.initrd = dir.resolve("initrd.gz");
        this.slots = slots;
        this.stride = stride;
    }

    /**
     * Builds the kernel and initramfs (cached: the first build downloads two Debian packages)
     * into {@code understudy.tinyGuest} (default /var/lib/understudy/tiny-guest, where
     * devstack/tiny-guest/guest.sh keeps them too).
     */
    public static TinyGuest build(int slots, int stride) {
        Path dir = Path.of(System.getProperty("understudy.tinyGuest", "/var/lib/understudy/tiny-guest"));
        Qemu.ok(repoFile("devstack/tiny-guest/build.sh").toString(), dir.toString());
        return new TinyGuest(dir, slots, stride);
    }

    /** A file of this repository, such as a devstack script, found from wherever the tests run. */
    public static Path repoFile(String relative) {
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            if (Files.isRegularFile(p.resolve(relative))) {
                return p.resolve(relative);
            }
        }
        throw new AssertionError("no " + relative + " above " + Path.of("").toAbsolutePath());
    }

    /** libvirtd's system instance, which the guest tests need (as root; devstack/libvirt.sh up). */
    public static Hypervisor systemHypervisor() {
        try {
            return Hypervisor.open("qemu:///system");
        } catch (HypervisorException e) {
            throw new AssertionError("this test needs libvirtd, as root: " + e.getMessage(), e);
        }
    }

    /** A folder for a guest test's files: QEMU runs as libvirt-qemu, so it must let others through. */
    public static Path workDir(String prefix) throws IOException {
        Path work = Files.createTempDirectory(prefix);
        Files.setPosixFilePermissions(work, PosixFilePermissions.fromString("rwxr-xr-x"));
        return work;
    }

    /** Removes a {@link #workDir} and everything in it (a private libvirtd's folders included). */
    public static void deleteWorkDir(Path work) throws IOException {
        try (Stream<Path> all = Files.walk(work)) {
            for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    /** Bytes the records occupy from the start of the disk. */
    public long span() {
        return (long) slots * stride;
    }

    /** A TCG domain of 128 MiB writing a record every {@code delay} seconds to {@code disk}. */
    public DomainSpec spec(String name, UUID uuid, Path disk, Path console, String delay) {
        String cmdline = "console=ttyS0 panic=-1 quiet understudy.slots=" + slots + " understudy.stride=" + stride
                + " understudy.delay=" + delay;
        return new DomainSpec(name, uuid, "qemu", 128, 1, disk, "qcow2",
                Optional.of(new DomainSpec.KernelBoot(kernel, initrd, cmdline)), Optional.of(console));
    }

    /** Record {@code n} exactly as the guest writes it. */
    public static byte[] record(long n) {
        byte[] line = (PREFIX + n + "\n").getBytes(StandardCharsets.US_ASCII);
        byte[] block = new byte[RECORD];
        for (int i = 0; i < RECORD; i++) {
            block[i] = line[i % line.length];
        }
        return block;
    }

    /** What a raw image's slots say: the newest record, and the first slot that breaks the rule, if any. */
    public record Verdict(long newest, Optional<String> problem) {}

    /**
     * Judges the records in a raw image by the rule a point-in-time copy must obey: with N the
     * newest record present, every slot holds exactly the newest record up to N that belongs to
     * it, whole; slots no record up to N belongs to hold none.
     */
    public Verdict judge(Path raw) throws IOException {
        long[] found = new long[slots];
        byte[][] blocks = new byte[slots][];
        try (FileChannel ch = FileChannel.open(raw, StandardOpenOption.READ)) {
            for (int s = 0; s < slots; s++) {
                ByteBuffer b = ByteBuffer.allocate(RECORD);
                long at = (long) s * stride;
                while (b.hasRemaining()) {
                    if (ch.read(b, at + b.position()) < 0) {
                        throw new IOException(raw + " ends inside slot " + s);
                    }
                }
                blocks[s] = b.array();
                found[s] = number(b.array());
            }
        }
        long newest = Arrays.stream(found).max().orElse(0);
        for (int s = 0; s < slots; s++) {
            long expected = newest - Math.floorMod(newest - s, slots);
            if (expected < 1) {
                if (found[s] != 0) {
                    return new Verdict(newest, Optional.of("slot " + s + " holds record " + found[s]
                            + " though no record up to " + newest + " belongs there"));
                }
            } else if (found[s] != expected) {
                return new Verdict(newest, Optional.of("slot " + s + " holds " + (found[s] == 0 ? "no record" : "record "
                        + found[s]) + ", expected record " + expected + " (newest present: " + newest + ")"));
            } else if (!Arrays.equals(blocks[s], record(expected))) {
                return new Verdict(newest, Optional.of("slot " + s + " holds a torn record " + expected));
            }
        }
        return new Verdict(newest, Optional.empty());
    }

    /** The number of the record a block starts with; 0 for a block that is no record. */
    private static long number(byte[] block) {
        byte[] prefix = PREFIX.getBytes(StandardCharsets.US_ASCII);
        if (!Arrays.equals(block, 0, prefix.length, prefix, 0, prefix.length)) {
            return 0;
        }
        long n = 0;
        for (int i = prefix.length; i < block.length && block[i] != '\n'; i++) {
            if (block[i] < '0' || block[i] > '9') {
                return 0;
            }
            n = n * 10 + (block[i] - '0');
        }
        return n;
    }
}
