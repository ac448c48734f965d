package io.understudy.scheduler.moves;

import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * A call a move makes beside its other work (an agent's round while Nova migrates, the holders
 * asked at once): on a daemon thread of its own, named for what it asks, so that the move waits
 * for the slowest answer rather than their sum, and a controller stopping is not held up by it.
 */
final class Beside {

    private Beside() {
    }

    /** Starts CALL now; its failure is the future's, as a {@link CompletionException} whose cause is what it threw. */
    static <T> CompletableFuture<T> start(String name, Callable<T> call) {
        CompletableFuture<T> answer = new CompletableFuture<>();
        Thread t = new Thread(() -> {
            try {
                answer.complete(call.call());
            } catch (Throwable e) {
                // Whatever ends the call ends the wait: a thread that died silently would leave it forever.
                answer.completeExceptionally(e);
            }
        }, name);
        t.setDaemon(true);
        t.start();
        return answer;
    }
}
