package io.understudy.agent.testing;

import io.understudy.agent.delta.DeltaHeader;
import io.understudy.agent.delta.DeltaWriter;
import io.understudy.agent.delta.Differ;
import io.understudy.agent.delta.Manifest;
import io.understudy.agent.qcow2.BackingChain;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * A primary's disk over several versions, made with qemu-img and qemu-io (each version an overlay
 * on the last), and the deltas between them as an agent makes them: VM, versions, base manifest.
 */
public final class DiskVersions {

    public static final int CLUSTER = 65536;
    public static final long CAPTURED = 1_764_400_000_000L;

    private final List<Path> versions = new ArrayList<>();
    private final UUID vm;

    /** Version 0 is an empty 64 MiB disk; every next one writes data, zeros and a small change. */
    public DiskVersions(Path dir, UUID vm, int count) throws IOException {
        this.vm = vm;
        Files.createDirectories(dir);
        Path v0 = dir.resolve("v0.qcow2");
        Qemu.img("create", "-q", "-f", "qcow2", v0.toString(), "64M");
        versions.add(v0);
        for (int v = 1; v <= count; v++) {
            Path next = dir.resolve("v" + v + ".qcow2");
            Qemu.img("create", "-q", "-f", "qcow2", "-b", "v" + (v - 1) + ".qcow2", "-F", "qcow2", next.toString());
            Qemu.io(next, "write -P 0x" + (0x30 + v) + " " + (v * 5) + "M 3M", "write -z " + ((v - 1) * 5 + 1) + "M 1M",
                    "write -P 0x" + (0x40 + v) + " " + (v * 64 + 7) + "k 1k");
            versions.add(next);
        }
    }

    public Path version(int v) {
        return versions.get(v);
    }

    /** The delta from version {@code from} (0: a seed) to version {@code to}, captured at CAPTURED + to ms. */
    public byte[] delta(int from, int to) throws IOException {
        try (BackingChain neu = BackingChain.open(versions.get(to));
             BackingChain old = from == 0 ? null : BackingChain.open(versions.get(from))) {
            byte[] base = old == null ? new Manifest(CLUSTER, neu.virtualSize()).finish() : Manifest.of(old, CLUSTER);
            DeltaHeader h = new DeltaHeader(CLUSTER, neu.virtualSize(), neu.virtualSize(), old == null,
                    Optional.of(base), Optional.of(vm), from, to, CAPTURED + to);
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            Differ.diff(old, neu, new DeltaWriter(out, h));
            return out.toByteArray();
        }
    }
}
