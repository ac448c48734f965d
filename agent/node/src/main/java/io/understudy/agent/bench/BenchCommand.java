package io.understudy.agent.bench;

import io.understudy.agent.cli.Main;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code understudy-agent bench ...}: benchmarks against baselines measured in the same run. */
@Command(name = "bench", description = "Measure against baselines taken in the same run.",
        subcommands = {BenchCommand.Delta.class, BenchCommand.Replication.class})
public final class BenchCommand {

    @Command(name = "delta",
            description = {"Build OLD and NEW with qemu-img/qemu-io, then time diff+apply against a full copy "
                    + "and rsync, relate delta bytes to changed bytes, and SHA-256 to memory bandwidth.",
                "Prints a table and, last, one JSON line."},
            exitCodeList = {"0:the replica came out right (targets missed are reported as MISSED)",
                "1:it did not, or a tool failed", "2:bad arguments"})
    static final class Delta implements Callable<Integer> {

        /** The steps keep about three copies of the data on disk at once; a fourth is margin. */
        private static final int SPACE_PER_DATA_BYTE = 4;

        @Spec
        CommandSpec spec;

        @Option(names = "--dir", paramLabel = "DIR", description = "where the working directory goes (default: ${DEFAULT-VALUE})")
        Path dir = Path.of(System.getProperty("java.io.tmpdir"));

        @Option(names = "--size", paramLabel = "SIZE", converter = Amounts.Size.class, defaultValue = "4G",
                description = "virtual size of the image, whole MiB (default: ${DEFAULT-VALUE})")
        long size;

        @Option(names = "--data", paramLabel = "SIZE", converter = Amounts.Size.class, defaultValue = "2G",
                description = "random data in it, whole MiB, spread over the disk (default: ${DEFAULT-VALUE})")
        long data;

        @Option(names = "--change", paramLabel = "PERCENT", converter = Amounts.Share.class, defaultValue = "2%",
                description = "share of the disk's 64 KiB clusters the overlay rewrites (default: ${DEFAULT-VALUE})")
        double change;

        @Option(names = "--keep", description = "keep the working directory and its images")
        boolean keep;

        @Override
        public Integer call() throws IOException {
            validate();
            PrintWriter out = spec.commandLine().getOut();
            PrintWriter err = spec.commandLine().getErr();
            try (Scratch scratch = Scratch.create(dir, keep)) {
                if (scratch.kept()) {
                    err.println("bench: working in " + scratch.dir() + " (kept)");
                }
                Tools tools = new Tools(scratch.dir());
                Tools.requireInstalled(scratch.dir());
                DeltaBench.Figures figures = new DeltaBench(scratch.dir(), tools, err).run(size, data, change);
                new Report(figures).print(out);
                if (!figures.allCorrect()) {
                    err.println("understudy-agent: bench: FAILED: the applied layer is not identical to NEW "
                            + "(qemu-img compare) or not clean (qemu-img check)");
                    return Main.EXIT_INTERNAL;
                }
                return Main.EXIT_OK;
            } catch (Tools.Failure e) {
                err.println("understudy-agent: bench: " + e.getMessage());
                return Main.EXIT_INTERNAL;
            }
        }

        private void validate() throws IOException {
            if (size < Workload.EXTENT || size % Workload.EXTENT != 0) {
                throw usage("--size must be a whole number of MiB, at least 1M");
            }
            if (size / Workload.CLUSTER > Integer.MAX_VALUE) {
                throw usage("--size is too large for a bench");
            }
            if (data % Workload.EXTENT != 0) {
                throw usage("--data must be a whole number of MiB");
            }
            if (data > size) {
                throw usage("--data (" + Amounts.bytes(data) + ") is larger than --size (" + Amounts.bytes(size) + ")");
            }
            long needed = SPACE_PER_DATA_BYTE * data + 2 * Workload.rewrittenClusters(size, change) * Workload.CLUSTER;
            Path existing = dir.toAbsolutePath();
            while (!Files.exists(existing)) {
                existing = existing.getParent();
            }
            long free = Files.getFileStore(existing).getUsableSpace();
            if (free < needed) {
                throw usage("not enough free space in " + existing + ": " + Amounts.bytes(free) + " free, the bench needs "
                        + Amounts.bytes(needed) + " (about 4 x --data); pick another --dir or a smaller --data");
            }
        }

        private ParameterException usage(String message) {
            return new ParameterException(spec.commandLine(), message);
        }
    }

    @Command(name = "replication",
            description = "Stream one seed delta over HTTP to two secondary agents at once on 127.0.0.1 and time "
                    + "it against a bare loopback socket; relate bytes on the wire to the data they carry.",
            exitCodeList = {"0:both replicas came out identical to the image", "1:they did not", "2:bad arguments"})
    static final class Replication implements Callable<Integer> {

        @Spec
        CommandSpec spec;

        @Option(names = "--dir", paramLabel = "DIR", description = "where the working directory goes (default: ${DEFAULT-VALUE})")
        Path dir = Path.of(System.getProperty("java.io.tmpdir"));

        @Option(names = "--data", paramLabel = "SIZE", converter = Amounts.Size.class, defaultValue = "1G",
                description = "random data in the replicated image, whole MiB (default: ${DEFAULT-VALUE})")
        long data;

        @Option(names = "--secondaries", paramLabel = "N", defaultValue = "2",
                description = "secondary agents receiving at once, 1-4; every agent shares this machine's CPUs "
                        + "(default: ${DEFAULT-VALUE})")
        int secondaries;

        @Option(names = "--keep", description = "keep the working directory")
        boolean keep;

        @Override
        public Integer call() throws IOException {
            if (data < Workload.EXTENT || data % Workload.EXTENT != 0) {
                throw new ParameterException(spec.commandLine(), "--data must be a whole number of MiB, at least 1M");
            }
            if (secondaries < 1 || secondaries > 4) {
                throw new ParameterException(spec.commandLine(), "--secondaries must be 1 to 4, not " + secondaries);
            }
            PrintWriter err = spec.commandLine().getErr();
            try (Scratch scratch = Scratch.create(dir, keep)) {
                Tools.requireInstalled(scratch.dir());
                ReplicationBench.Figures f = new ReplicationBench(scratch.dir(), new Tools(scratch.dir()), err)
                        .run(data, secondaries);
                ReplicationBench.print(f, spec.commandLine().getOut());
                if (!f.correct()) {
                    err.println("understudy-agent: bench: FAILED: a replica is not identical to the image");
                    return Main.EXIT_INTERNAL;
                }
                return Main.EXIT_OK;
            } catch (Tools.Failure e) {
                err.println("understudy-agent: bench: " + e.getMessage());
                return Main.EXIT_INTERNAL;
            }
        }
    }
}
