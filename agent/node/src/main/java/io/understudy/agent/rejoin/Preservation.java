package io.understudy.agent.rejoin;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.understudy.agent.api.Json;
import io.understudy.agent.api.Preserved;
import io.understudy.agent.qcow2.BackingChain;
import io.understudy.agent.qcow2.DiskImage;
import io.understudy.agent.replica.Durable;
import io.understudy.agent.replica.ReplicaStore;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Hard links to the disks of the VMs this node is primary for, made at start-up (before
 * nova-compute, which deletes the disks of instances evacuated away while it was down) and when
 * the node is assigned as a VM's primary. A link costs nothing while Nova's file lives and keeps
 * the data once Nova unlinks it. Only the files of the disk's chain that live in the instance
 * directory are linked (Nova deletes that directory); a backing file outside it, Nova's image
 * cache, is left where it is. Nothing is ever written outside {@code root}.
 *
 * <pre>
 * ROOT/VM/disk, ROOT/VM/...     links to instancesPath/VM/disk and the chain's files beside it
 * ROOT/VM.json                  the {@link Preserved} record
 * </pre>
 */
public final class Preservation {

    private static final Logger LOG = LoggerFactory.getLogger(Preservation.class);
    private static final ObjectMapper JSON = Json.mapper();
    private static final String DISK = "disk";

    private final Path root;
    private final Path instancesPath;
    private final Clock clock;
    private final Map<UUID, Preserved> records = new ConcurrentHashMap<>();

    public Preservation(Path root, Path instancesPath, Clock clock) throws IOException {
        this.root = Files.createDirectories(root);
        this.instancesPath = instancesPath;
        this.clock = clock;
        try (DirectoryStream<Path> files = Files.newDirectoryStream(root, "*.json")) {
            for (Path f : files) {
                Preserved p = JSON.readValue(f.toFile(), Preserved.class);
                records.put(p.vm(), p);
            }
        }
    }

    /**
     * Links the VM's instance disk (and the chain files beside it) here, unless the links held are
     * to those very files. When the instance disk is gone, what was preserved stays as it is. A
     * failure is logged, not thrown: nothing else waits on it.
     */
    public synchronized void preserve(UUID vm) {
        try {
            link(vm);
        } catch (IOException | RuntimeException e) {
            LOG.warn("vm {}: could not preserve its disk: {}", vm, e.getMessage());
        }
    }

    private void link(UUID vm) throws IOException {
        Path instance = instancesPath.resolve(vm.toString());
        Path disk = instance.resolve(DISK);
        Optional<Preserved> held = get(vm).filter(Preservation::waiting);
        if (!Files.isRegularFile(disk)) {
            LOG.info("vm {}: no instance disk at {}; {}", vm, disk, held.isPresent()
                    ? "keeping the copy preserved at " + held.get().preservedAt() : "nothing to preserve");
            return;
        }
        List<Path> files = chainFiles(vm, disk, instance.toRealPath());
        Path target = root.resolve(vm.toString());
        if (held.isPresent() && linked(target, files)) {
            LOG.info("vm {}: disk {} already preserved", vm, disk);
            return;
        }
        Path temp = root.resolve(vm + ".partial");
        ReplicaStore.deleteDir(temp);
        Files.createDirectories(temp);
        long bytes = 0;
        for (Path f : files) {
            Files.createLink(temp.resolve(f.getFileName().toString()), f);
            bytes += Files.size(f);
        }
        ReplicaStore.deleteDir(target);
        Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE);
        Durable.fsyncDirectory(root);
        write(new Preserved(vm, Preserved.State.PRESERVED, clock.instant(), bytes, null, null));
        LOG.info("vm {}: preserved disk {} by hard links ({} files, {} bytes) in {}", vm, disk, files.size(), bytes,
                target);
    }

    /** The chain's files that live in the instance directory, the disk first. */
    private static List<Path> chainFiles(UUID vm, Path disk, Path instance) throws IOException {
        List<Path> inside = new ArrayList<>();
        try (BackingChain chain = BackingChain.open(disk)) {
            for (DiskImage layer : chain.layers()) {
                Path real = layer.path().toRealPath();
                if (instance.equals(real.getParent())) {
                    inside.add(real);
                } else {
                    LOG.info("vm {}: backing file {} lies outside the instance directory and is not linked", vm, real);
                }
            }
        }
        return inside;
    }

    private static boolean linked(Path target, List<Path> files) throws IOException {
        for (Path f : files) {
            Path link = target.resolve(f.getFileName().toString());
            if (!Files.exists(link) || !Files.isSameFile(link, f)) {
                return false;
            }
        }
        return true;
    }

    public Optional<Preserved> get(UUID vm) {
        return Optional.ofNullable(records.get(vm));
    }

    public List<Preserved> all() {
        List<Preserved> all = new ArrayList<>(records.values());
        all.sort(Comparator.comparing(Preserved::vm));
        return all;
    }

    /** Whether a preserved disk of {@code vm} waits to become its replica. */
    public boolean pending(UUID vm) {
        return get(vm).filter(Preservation::waiting).isPresent();
    }

    /**
     * Whether the VM's replica here is being rebuilt from its preserved disk, so that a primary
     * must wait rather than seed it: a rejoin runs, or one is due because the disk has left the
     * instance directory (Nova deleted it; the VM runs elsewhere). While the instance disk is still
     * the preserved file, the VM may well run here, and this node be its primary.
     */
    public boolean rebuilding(UUID vm) {
        Preserved p = records.get(vm);
        if (p == null || !waiting(p)) {
            return false;
        }
        Path live = instancesPath.resolve(vm.toString()).resolve(DISK);
        try {
            return p.state() == Preserved.State.REJOINING || !Files.exists(live) || !Files.isSameFile(live, disk(vm));
        } catch (IOException e) {
            return true;
        }
    }

    private static boolean waiting(Preserved p) {
        return p.state() == Preserved.State.PRESERVED || p.state() == Preserved.State.REJOINING;
    }

    /** The preserved disk, as Nova named it in the instance directory. */
    Path disk(UUID vm) {
        return root.resolve(vm.toString()).resolve(DISK);
    }

    /** Records an attempt starting ({@code REJOINING}) or failing for now ({@code PRESERVED} with the reason). */
    synchronized void attempt(UUID vm, Preserved.State state, String error) throws IOException {
        Preserved p = records.get(vm);
        if (p != null) {
            write(new Preserved(vm, state, p.preservedAt(), p.bytes(), error, null));
        }
    }

    /** The disk became the VM's replica (or never will: {@code rejoined} null): its files go, the record stays. */
    synchronized void done(UUID vm, Preserved.Rejoined rejoined, String error) throws IOException {
        Preserved p = records.get(vm);
        if (p == null) {
            return;
        }
        ReplicaStore.deleteDir(root.resolve(vm.toString()));
        write(new Preserved(vm, rejoined != null ? Preserved.State.REJOINED : Preserved.State.FAILED, p.preservedAt(),
                p.bytes(), error, rejoined));
    }

    /** Forgets the VM: its files and its record (it is no longer protected here). */
    public synchronized void drop(UUID vm) throws IOException {
        ReplicaStore.deleteDir(root.resolve(vm.toString()));
        Files.deleteIfExists(root.resolve(vm + ".json"));
        if (records.remove(vm) != null) {
            LOG.info("vm {}: preserved disk dropped", vm);
        }
    }

    private void write(Preserved p) throws IOException {
        Durable.replace(root.resolve(p.vm() + ".json"), JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(p));
        records.put(p.vm(), p);
    }
}
