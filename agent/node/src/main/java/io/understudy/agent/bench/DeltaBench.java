package io.understudy.agent.bench;

import io.understudy.agent.delta.DeltaHeader;
import io.understudy.agent.delta.DeltaStats;
import io.understudy.agent.delta.DeltaWriter;
import io.understudy.agent.delta.Differ;
import io.understudy.agent.qcow2.BackingChain;
import io.understudy.agent.replica.LayerApply;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * The steps of {@code bench delta}, in an order that keeps the disk space used to about three
 * times the data: each baseline's copies are removed before the next one is made. Every timed step
 * starts after a {@code sync} and ends with its output fsynced, ours and the baselines' alike: a
 * replica update counts once it is durable. Inputs are in the page cache for all three (they were
 * just written), as they would be on a primary whose VM just wrote them.
 */
final class DeltaBench {

    private static final int STREAM_BUFFER = 1 << 20;
    /** Runs after the first, whose median is the figure: enough to see through a busy machine's noise. */
    static final int WARM_RUNS = 3;

    /** One diff+apply: seconds are wall-clock; correct = the layer is identical to NEW and clean. */
    record Update(DeltaStats delta, Differ.Mode diffMode, long fixedOverheadBytes, double diffSeconds,
            double applySeconds, boolean correct) {

        double seconds() {
            return diffSeconds + applySeconds;
        }
    }

    /**
     * What the run measured. {@code cold} is the first update, which also loads and compiles our
     * code in this JVM; {@code warm} the median of the next ones, as the agent, a long-running
     * daemon, does every round.
     */
    record Figures(Workload.Plan plan, Update cold, Update warm, Update streamed, boolean allCorrect,
            double fullCopySeconds, double rsyncSeconds, Throughput.Result hashing, double loadAverage) {}

    private final Path dir;
    private final Tools tools;
    private final PrintWriter progress;

    DeltaBench(Path dir, Tools tools, PrintWriter progress) {
        this.dir = dir;
        this.tools = tools;
        this.progress = progress;
    }

    Figures run(long size, long data, double change) throws Tools.Failure, IOException {
        // Other work on the machine slows every figure; the reader of a report should know of it.
        double load = ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
        progress.println("bench: hashing and memory throughput (one core)");
        Throughput.Result hashing = Throughput.measure(Workload.CLUSTER);

        progress.printf("bench: building OLD (%s of random data in %s) and NEW (%.4g%% of its clusters rewritten) in %s%n",
                Amounts.bytes(data), Amounts.bytes(size), change * 100, dir);
        Workload.Plan plan = Workload.build(dir, size, data, change, tools);

        progress.printf("bench: diff + apply onto a copy of OLD, %d times%n", 1 + WARM_RUNS);
        Path replica = dir.resolve("REPLICA.qcow2");
        Files.copy(dir.resolve(Workload.OLD), replica);
        List<Update> updates = new ArrayList<>();
        for (int i = 0; i <= WARM_RUNS; i++) {
            updates.add(update(replica));
        }
        List<Update> warm = new ArrayList<>(updates.subList(1, updates.size()));
        warm.sort(Comparator.comparingDouble(Update::seconds));
        progress.printf("bench: diff streamed into apply, as a primary's round reaches a secondary, %d times%n",
                WARM_RUNS);
        List<Update> streamed = new ArrayList<>();
        for (int i = 0; i < WARM_RUNS; i++) {
            streamed.add(streamed(replica));
        }
        Files.delete(replica);
        streamed.sort(Comparator.comparingDouble(Update::seconds));
        updates.addAll(streamed);

        progress.println("bench: full copy (qemu-img convert -O qcow2 NEW)");
        Path full = dir.resolve("FULL.qcow2");
        double fullCopy = tools.timed(full, "qemu-img", "convert", "-O", "qcow2", Workload.NEW, full.getFileName().toString());
        Files.delete(full);

        progress.println("bench: rsync --no-whole-file --inplace of NEW.raw onto OLD.raw");
        tools.run("qemu-img", "convert", "-O", "raw", Workload.OLD, "OLD.raw");
        tools.run("qemu-img", "convert", "-O", "raw", Workload.NEW, "NEW.raw");
        double rsync = tools.timed(dir.resolve("OLD.raw"), "rsync", "--no-whole-file", "--inplace", "NEW.raw", "OLD.raw");
        Files.delete(dir.resolve("OLD.raw"));
        Files.delete(dir.resolve("NEW.raw"));

        return new Figures(plan, updates.get(0), warm.get(warm.size() / 2), streamed.get(streamed.size() / 2),
                updates.stream().allMatch(Update::correct), fullCopy, rsync, hashing, load);
    }

    /**
     * {@code image diff --from OLD --to NEW}, then {@code image apply} of that delta onto the
     * replica, timed; then judged by qemu-img and removed. The replica itself is never written (a
     * layer goes on top of it), so every run starts from the same state.
     */
    private Update update(Path replica) throws Tools.Failure, IOException {
        Path deltaFile = dir.resolve("NEW.delta");
        Path layer = dir.resolve("LAYER.qcow2");
        tools.sync();
        long start = System.nanoTime();
        DiffResult diff = diff(dir.resolve(Workload.OLD), dir.resolve(Workload.NEW), deltaFile);
        long applied = System.nanoTime();
        try (InputStream in = new BufferedInputStream(Files.newInputStream(deltaFile), STREAM_BUFFER)) {
            LayerApply.apply(replica, in, layer, false);
        }
        long end = System.nanoTime();
        boolean identical = tools.exit("qemu-img", "compare", "-q", layer.getFileName().toString(), Workload.NEW) == 0;
        boolean clean = tools.exit("qemu-img", "check", "-q", layer.getFileName().toString()) == 0;
        Files.delete(layer);
        Files.delete(deltaFile);
        return new Update(diff.stats, diff.mode, diff.fixedOverhead, (applied - start) / 1e9, (end - applied) / 1e9,
                identical && clean);
    }

    /**
     * The agent's path: the diff streams into the apply with no delta file between them (on two
     * hosts, the HTTP body); only the layer is written and fsynced.
     */
    private Update streamed(Path replica) throws Tools.Failure, IOException {
        Path layer = dir.resolve("LAYER.qcow2");
        tools.sync();
        long start = System.nanoTime();
        PipedInputStream in = new PipedInputStream(STREAM_BUFFER);
        PipedOutputStream pipe = new PipedOutputStream(in);
        CompletableFuture<DiffResult> diff = CompletableFuture.supplyAsync(() -> {
            try (BackingChain newChain = BackingChain.open(dir.resolve(Workload.NEW));
                 BackingChain oldChain = BackingChain.open(dir.resolve(Workload.OLD));
                 OutputStream out = new BufferedOutputStream(pipe, STREAM_BUFFER)) {
                DeltaHeader header = DeltaHeader.of(newChain.clusterSize(), newChain.virtualSize(),
                        oldChain.virtualSize(), false, null);
                DeltaStats stats = Differ.diff(oldChain, newChain, new DeltaWriter(out, header));
                return new DiffResult(stats, Differ.mode(oldChain, newChain), emptyDeltaBytes(header));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
        try (InputStream delta = in) {
            LayerApply.apply(replica, delta, layer, false);
        }
        DiffResult d = diff.join();
        long end = System.nanoTime();
        boolean identical = tools.exit("qemu-img", "compare", "-q", layer.getFileName().toString(), Workload.NEW) == 0;
        boolean clean = tools.exit("qemu-img", "check", "-q", layer.getFileName().toString()) == 0;
        Files.delete(layer);
        return new Update(d.stats, d.mode, d.fixedOverhead, (end - start) / 1e9, 0, identical && clean);
    }

    private record DiffResult(DeltaStats stats, Differ.Mode mode, long fixedOverhead) {}

    /** {@code image diff --from OLD --to NEW}, with the delta fsynced as a replica's sender would. */
    private static DiffResult diff(Path oldImage, Path newImage, Path deltaFile) throws IOException {
        try (BackingChain newChain = BackingChain.open(newImage);
             BackingChain oldChain = BackingChain.open(oldImage)) {
            DeltaHeader header = DeltaHeader.of(newChain.clusterSize(), newChain.virtualSize(),
                    oldChain.virtualSize(), false, null);
            DeltaStats stats;
            try (FileChannel ch = FileChannel.open(deltaFile, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
                 OutputStream out = new BufferedOutputStream(Channels.newOutputStream(ch), STREAM_BUFFER)) {
                stats = Differ.diff(oldChain, newChain, new DeltaWriter(out, header));
                ch.force(true);
            }
            return new DiffResult(stats, Differ.mode(oldChain, newChain), emptyDeltaBytes(header));
        }
    }

    /** Header and trailer: what a delta costs whatever it carries, measured rather than restated. */
    private static long emptyDeltaBytes(DeltaHeader header) throws IOException {
        return new DeltaWriter(new ByteArrayOutputStream(), header).finish(0).deltaBytes();
    }
}
