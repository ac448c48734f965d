package io.understudy.agent.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * The bench's working directory: a fresh one inside the directory the operator named, so removing
 * it can never touch anything of theirs. It goes at the end, and on Ctrl-C, unless kept: a full
 * run leaves gigabytes behind otherwise.
 */
final class Scratch implements AutoCloseable {

    private final Path dir;
    private final boolean keep;
    private final Thread onInterrupt;

    private Scratch(Path dir, boolean keep) {
        this.dir = dir;
        this.keep = keep;
        this.onInterrupt = new Thread(this::removeQuietly, "bench-cleanup");
        if (!keep) {
            Runtime.getRuntime().addShutdownHook(onInterrupt);
        }
    }

    static Scratch create(Path parent, boolean keep) throws IOException {
        Files.createDirectories(parent);
        return new Scratch(Files.createTempDirectory(parent, "understudy-bench-"), keep);
    }

    Path dir() {
        return dir;
    }

    boolean kept() {
        return keep;
    }

    @Override
    public void close() throws IOException {
        if (keep) {
            return;
        }
        try {
            Runtime.getRuntime().removeShutdownHook(onInterrupt);
        } catch (IllegalStateException shuttingDown) {
            return;
        }
        deleteTree(dir);
    }

    private void removeQuietly() {
        try {
            deleteTree(dir);
        } catch (IOException | UncheckedIOException ignored) {
            // the JVM is going down; whatever is left stays for the operator to see
        }
    }

    static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(root)) {
            for (Path p : (Iterable<Path>) paths.sorted(Comparator.reverseOrder())::iterator) {
                Files.deleteIfExists(p);
            }
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
    }
}
