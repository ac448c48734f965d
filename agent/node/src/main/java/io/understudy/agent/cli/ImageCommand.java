package io.understudy.agent.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.understudy.agent.delta.DeltaHeader;
import io.understudy.agent.delta.DeltaStats;
import io.understudy.agent.delta.DeltaWriter;
import io.understudy.agent.delta.Differ;
import io.understudy.agent.delta.Manifest;
import io.understudy.agent.qcow2.BackingChain;
import io.understudy.agent.qcow2.BadImageException;
import io.understudy.agent.qcow2.MapEntry;
import io.understudy.agent.qcow2.Qcow2Check;
import io.understudy.agent.qcow2.Qcow2Image;
import io.understudy.agent.replica.LayerApply;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code understudy-agent image ...}: the qcow2 and delta tools. */
@Command(name = "image", description = "Inspect images, make and apply deltas.",
        subcommands = {ImageCommand.MapCmd.class, ImageCommand.Diff.class, ImageCommand.Apply.class,
            ImageCommand.Check.class})
final class ImageCommand {

    static final ObjectMapper JSON = new ObjectMapper();
    private static final int STREAM_BUFFER = 1 << 20;

    @Command(name = "map", description = "Print the image's allocation like `qemu-img map --output=json`.")
    static final class MapCmd implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Parameters(paramLabel = "IMAGE", description = "qcow2 or raw image (its backing chain is followed)")
        Path image;

        @Override
        public Integer call() throws IOException {
            PrintWriter out = spec.commandLine().getOut();
            try (BackingChain chain = BackingChain.open(image)) {
                StringBuilder s = new StringBuilder("[");
                MapEntry pending = null;
                long size = chain.virtualSize();
                for (long pos = 0; pos < size; ) {
                    MapEntry e = chain.resolve(pos, size - pos);
                    pos = e.end();
                    if (pending != null && pending.mergeableWith(e)) {
                        pending = pending.mergedWith(e);
                        continue;
                    }
                    if (pending != null) {
                        s.append(pending.toJson()).append(",\n");
                    }
                    pending = e;
                }
                if (pending != null) {
                    s.append(pending.toJson());
                }
                out.println(s.append(']'));
            }
            return Main.EXIT_OK;
        }
    }

    @Command(name = "diff", description = "Write the new components of NEW (against OLD, or an empty disk) as a delta.")
    static final class Diff implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Option(names = "--from", paramLabel = "OLD", description = "the image the replica holds; none = an empty disk")
        Path from;

        @Option(names = "--to", paramLabel = "NEW", required = true, description = "the image to bring the replica to")
        Path to;

        @Option(names = "--out", paramLabel = "DELTA", required = true, description = "the delta file to write")
        Path out;

        @Option(names = "--hash-base", description = "hash all of OLD so that `apply --verify-base` can check the replica")
        boolean hashBase;

        @Override
        public Integer call() throws IOException {
            long start = System.nanoTime();
            try (BackingChain newChain = BackingChain.open(to);
                 BackingChain oldChain = from == null ? null : BackingChain.open(from)) {
                int clusterSize = newChain.clusterSize();
                long baseSize = oldChain == null ? newChain.virtualSize() : oldChain.virtualSize();
                byte[] manifest = null;
                if (hashBase) {
                    manifest = oldChain == null ? emptyManifest(clusterSize, baseSize) : Manifest.of(oldChain, clusterSize);
                }
                DeltaHeader header = DeltaHeader.of(clusterSize, newChain.virtualSize(), baseSize, oldChain == null, manifest);
                DeltaStats stats = writeAtomically(out, stream -> Differ.diff(oldChain, newChain, new DeltaWriter(stream, header)));
                Map<String, Object> json = statsJson(stats, start);
                json.put("mode", Differ.mode(oldChain, newChain).name());
                spec.commandLine().getOut().println(JSON.writeValueAsString(json));
            }
            return Main.EXIT_OK;
        }

        private static byte[] emptyManifest(int clusterSize, long size) {
            return new Manifest(clusterSize, size).finish();
        }
    }

    @Command(name = "apply", description = "Apply DELTA on top of REPLICA as a new overlay layer LAYER.")
    static final class Apply implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Option(names = "--base", paramLabel = "REPLICA", required = true, description = "the replica's current top image")
        Path base;

        @Option(names = "--delta", paramLabel = "DELTA", required = true, description = "the delta to apply")
        Path delta;

        @Option(names = "--out", paramLabel = "LAYER", required = true, description = "the new layer (must not exist)")
        Path layer;

        @Option(names = "--verify-base", description = "hash REPLICA and refuse a delta made against other content")
        boolean verifyBase;

        @Override
        public Integer call() throws IOException {
            long start = System.nanoTime();
            DeltaStats stats;
            try (InputStream in = new BufferedInputStream(Files.newInputStream(delta), STREAM_BUFFER)) {
                stats = LayerApply.apply(base, in, layer, verifyBase);
            }
            spec.commandLine().getOut().println(JSON.writeValueAsString(statsJson(stats, start)));
            return Main.EXIT_OK;
        }
    }

    @Command(name = "check", description = "Check an image's structure.",
            exitCodeList = {"0:clean (leaks are reported)", "1:an internal fault", "2:bad arguments", "3:damaged"})
    static final class Check implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Parameters(paramLabel = "IMAGE")
        Path image;

        @Override
        public Integer call() throws IOException {
            try (BackingChain chain = BackingChain.open(image)) {
                Map<String, Object> json = new LinkedHashMap<>();
                json.put("image", image.toString());
                json.put("format", chain.top().format());
                json.put("chainDepth", chain.layers().size());
                Qcow2Check.Result result = null;
                if (chain.top() instanceof Qcow2Image q) {
                    result = Qcow2Check.check(q);
                    json.put("clean", result.clean());
                    json.put("corruptions", result.corruptions());
                    json.put("leaks", result.leaks());
                    json.put("referencedClusters", result.referencedClusters());
                    json.put("problems", result.problems());
                } else {
                    json.put("clean", true);
                }
                spec.commandLine().getOut().println(JSON.writeValueAsString(json));
                if (result != null && !result.clean()) {
                    throw new BadImageException(image, result.corruptions() + " corruption(s), first: "
                            + result.problems().get(0));
                }
            }
            return Main.EXIT_OK;
        }
    }

    interface StreamWork {
        DeltaStats write(OutputStream out) throws IOException;
    }

    /** The delta appears under its name only when complete: a failed diff leaves nothing half-written. */
    static DeltaStats writeAtomically(Path target, StreamWork work) throws IOException {
        Path dir = target.toAbsolutePath().getParent();
        Path temp = dir.resolve("." + target.getFileName() + ".partial-" + UUID.randomUUID());
        try {
            DeltaStats stats;
            try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(temp), STREAM_BUFFER)) {
                stats = work.write(out);
            }
            Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            return stats;
        } finally {
            Files.deleteIfExists(temp);
        }
    }

    static Map<String, Object> statsJson(DeltaStats stats, long startNanos) {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("clusters", stats.clusters());
        json.put("newClusters", stats.newClusters());
        json.put("zeroClusters", stats.zeroClusters());
        json.put("payloadBytes", stats.payloadBytes());
        json.put("deltaBytes", stats.deltaBytes());
        json.put("seconds", Math.round((System.nanoTime() - startNanos) / 1e6) / 1e3);
        return json;
    }
}
