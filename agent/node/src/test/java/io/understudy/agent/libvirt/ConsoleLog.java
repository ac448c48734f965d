package io.understudy.agent.libvirt;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A guest's serial console as libvirt writes it to a file, waited on by file-system events
 * (inotify), never by sleeping: each wait ends when what it wants appears or at its deadline.
 */
public final class ConsoleLog implements AutoCloseable {

    private static final Pattern RECORD = Pattern.compile("^understudy-record (\\d+) slot \\d+$", Pattern.MULTILINE);
    private static final Pattern FAILED = Pattern.compile("^understudy-guest failed: .*$", Pattern.MULTILINE);

    private final Path file;
    private final WatchService watch;

    public ConsoleLog(Path file) throws IOException {
        this.file = file;
        this.watch = FileSystems.getDefault().newWatchService();
        file.getParent().register(watch, StandardWatchEventKinds.ENTRY_CREATE, StandardWatchEventKinds.ENTRY_MODIFY);
    }

    public String text() throws IOException {
        return Files.exists(file) ? new String(Files.readAllBytes(file), StandardCharsets.ISO_8859_1) : "";
    }

    /** The newest record the guest announced (it announces a record once it is durable); 0 for none. */
    public long lastRecord() throws IOException {
        return lastRecord(text());
    }

    private static long lastRecord(String text) {
        Matcher m = RECORD.matcher(text);
        long last = 0;
        while (m.find()) {
            last = Long.parseLong(m.group(1));
        }
        return last;
    }

    /** Waits for the {@code occurrence}-th line matching {@code pattern} (1 = the first) and returns its match. */
    public Matcher await(Pattern pattern, int occurrence, Duration timeout) throws IOException, InterruptedException {
        return until(text -> {
            Matcher m = pattern.matcher(text);
            for (int seen = 0; m.find(); ) {
                if (++seen == occurrence) {
                    return Optional.of(m);
                }
            }
            return Optional.empty();
        }, "line #" + occurrence + " matching " + pattern, timeout);
    }

    /** Waits until the guest has announced record {@code n} or a later one; returns the newest announced. */
    public long awaitRecord(long n, Duration timeout) throws IOException, InterruptedException {
        return until(text -> Optional.of(lastRecord(text)).filter(last -> last >= n), "record " + n, timeout);
    }

    /** Re-reads the console at each change until {@code wanted} finds something; a guest failure ends the wait. */
    private <T> T until(Function<String, Optional<T>> wanted, String what, Duration timeout)
            throws IOException, InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            String text = text();
            Optional<T> found = wanted.apply(text);
            if (found.isPresent()) {
                return found.get();
            }
            Matcher failed = FAILED.matcher(text);
            if (failed.find()) {
                throw new AssertionError("waiting for " + what + ", the guest says: " + failed.group());
            }
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                String tail = text.length() > 300 ? text.substring(text.length() - 300) : text;
                throw new AssertionError("no " + what + " in " + file + " within " + timeout.toSeconds()
                        + " s; it ends: " + tail);
            }
            WatchKey key = watch.poll(left, TimeUnit.NANOSECONDS);
            if (key != null) {
                key.pollEvents();
                key.reset();
            }
        }
    }

    @Override
    public void close() throws IOException {
        watch.close();
    }
}
