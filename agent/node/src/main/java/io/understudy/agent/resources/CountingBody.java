package io.understudy.agent.resources;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.util.concurrent.TimeoutException;

/**
 * A request body that counts what arrived and tells a read that gave up waiting (the server's read
 * timeout) from other failures: the first is the sender's stall, answered 408.
 */
final class CountingBody extends FilterInputStream {

    private long bytes;
    private boolean timedOut;

    CountingBody(InputStream in) {
        super(in);
    }

    @Override
    public int read() throws IOException {
        int b = watch(() -> super.read());
        if (b >= 0) {
            bytes++;
        }
        return b;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        int n = watch(() -> super.read(b, off, len));
        if (n > 0) {
            bytes += n;
        }
        return n;
    }

    private interface Read {
        int run() throws IOException;
    }

    private int watch(Read read) throws IOException {
        try {
            return read.run();
        } catch (IOException e) {
            timedOut = isTimeout(e);
            throw e;
        }
    }

    private static boolean isTimeout(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof TimeoutException || t instanceof InterruptedIOException) {
                return true;
            }
        }
        return false;
    }

    long bytes() {
        return bytes;
    }

    boolean timedOut() {
        return timedOut;
    }
}
