package io.understudy.agent.bench;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;

/**
 * The real tools the bench builds with and compares against (qemu-img, qemu-io, rsync, sync),
 * run in the bench's directory so command lines stay short and name files as an operator would.
 * Their output goes to a log file there, not to a pipe nobody drains while they run.
 */
final class Tools {

    /** A tool failed, or is missing: the bench cannot go on. */
    static final class Failure extends Exception {
        private static final long serialVersionUID = 1L;

        Failure(String message) {
            super(message);
        }
    }

    private final Path dir;
    private final Path log;

    Tools(Path dir) {
        this.dir = dir;
        this.log = dir.resolve("tools.log");
    }

    /** Every tool the bench runs is there, else a failure naming the Debian package that brings it. */
    static void requireInstalled(Path scratch) throws Failure {
        Tools probe = new Tools(scratch);
        for (String[] tool : new String[][] {{"qemu-img", "qemu-utils"}, {"qemu-io", "qemu-utils"},
                {"rsync", "rsync"}, {"sync", "coreutils"}}) {
            try {
                probe.exit(tool[0], "--version");
            } catch (IOException e) {
                throw new Failure(tool[0] + " is not installed (Debian package " + tool[1] + ")");
            }
        }
    }

    /** Runs a command that must succeed. */
    void run(String... command) throws Failure, IOException {
        run(List.of(command));
    }

    void run(List<String> command) throws Failure, IOException {
        int exit = exit(command.toArray(String[]::new));
        if (exit != 0) {
            throw new Failure(command.get(0) + " failed (exit " + exit + "): " + lastLine());
        }
    }

    /** Seconds a command that must succeed took, including the fsync of the file it wrote. */
    double timed(Path written, String... command) throws Failure, IOException {
        sync();
        long start = System.nanoTime();
        run(command);
        fsync(written);
        return (System.nanoTime() - start) / 1e9;
    }

    /** Runs a command; its exit code. */
    int exit(String... command) throws IOException {
        Process p = new ProcessBuilder(command).directory(dir.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
                .redirectErrorStream(true)
                .redirectOutput(log.toFile())
                .start();
        try {
            return p.waitFor();
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while " + command[0] + " ran", e);
        }
    }

    /** What the last tool said last, for a one-line error. */
    String lastLine() throws IOException {
        List<String> lines = Files.readAllLines(log);
        for (int i = lines.size() - 1; i >= 0; i--) {
            if (!lines.get(i).isBlank()) {
                return lines.get(i).strip();
            }
        }
        return "(no output)";
    }

    /** Writes back what earlier steps left dirty, so a timed step pays only for its own writes. */
    void sync() throws Failure, IOException {
        run("sync");
    }

    static void fsync(Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            ch.force(true);
        }
    }
}
