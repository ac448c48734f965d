package io.understudy.agent.testing;

import io.understudy.agent.api.AgentClient;
import java.io.IOException;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.net.http.HttpRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A delta on its way to an agent through a pipe: the test decides how much of it arrives and
 * when (or whether) the rest does, as a slow, stalled or dying sender would.
 */
public final class PipedDelta implements AutoCloseable {

    private final PipedOutputStream feed;
    private final CompletableFuture<Object> sending;

    private PipedDelta(PipedOutputStream feed, CompletableFuture<Object> sending) {
        this.feed = feed;
        this.sending = sending;
    }

    /** Starts sending a delta for {@code vm} whose bytes are those written to it next. */
    public static PipedDelta start(AgentClient client, UUID vm) throws IOException {
        PipedInputStream body = new PipedInputStream(1 << 16);
        PipedOutputStream feed = new PipedOutputStream(body);
        return new PipedDelta(feed, CompletableFuture.supplyAsync(() -> {
            try {
                return client.sendDelta(vm, HttpRequest.BodyPublishers.ofInputStream(() -> body));
            } catch (IOException e) {
                return e;
            }
        }));
    }

    public void write(byte[] bytes, int offset, int length) throws IOException {
        feed.write(bytes, offset, length);
        feed.flush();
    }

    /** The agent's receipt, or the IOException the send ended with. */
    public Object outcome() throws Exception {
        return sending.get(60, TimeUnit.SECONDS);
    }

    /** Ends the body here: what the agent has is all it gets. */
    @Override
    public void close() throws IOException {
        feed.close();
    }

    /** Waits (up to 30 s) until a temporary file, the mark of a delta being received, appears under {@code dir}. */
    public static boolean awaitReceiving(Path dir) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < deadline) {
            try (Stream<Path> all = Files.walk(dir)) {
                if (all.anyMatch(p -> p.getFileName().toString().contains(".partial"))) {
                    return true;
                }
            }
            TimeUnit.MILLISECONDS.sleep(5);
        }
        return false;
    }
}
