package io.understudy.agent.nbd;

import java.io.Closeable;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.channels.UnresolvedAddressException;
import java.time.Duration;
import jdk.net.ExtendedSocketOptions;

/**
 * One connection to the server with a bound on every wait. A non-blocking channel with a selector
 * rather than a socket's read timeout: it is the one way to bound waits on a Unix socket too, and
 * data can land straight in the caller's buffer.
 */
final class Wire implements Closeable {

    /** Room for every fixed-size header and every bounded variable part the client reads. */
    static final int SCRATCH = 64 * 1024;

    private final SocketChannel channel;
    private final Selector selector;
    private final SelectionKey key;
    private final Duration timeout;
    private final String peer;
    private final ByteBuffer scratch = ByteBuffer.allocate(SCRATCH);
    private final boolean quickAck;

    private Wire(SocketChannel channel, Selector selector, Duration timeout, String peer) throws IOException {
        this.channel = channel;
        this.selector = selector;
        this.key = channel.register(selector, 0);
        this.timeout = timeout;
        this.peer = peer;
        this.quickAck = channel.supportedOptions().contains(ExtendedSocketOptions.TCP_QUICKACK);
    }

    /** Connects to a TCP or Unix socket address within the timeout. */
    static Wire connect(SocketAddress address, Duration timeout, String peer) throws IOException {
        SocketChannel channel = address instanceof UnixDomainSocketAddress
                ? SocketChannel.open(StandardProtocolFamily.UNIX)
                : SocketChannel.open();
        Selector selector = null;
        try {
            channel.configureBlocking(false);
            if (address instanceof InetSocketAddress) {
                // Requests are small and each waits for its reply: do not let Nagle hold them back.
                channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
            }
            selector = Selector.open();
            Wire wire = new Wire(channel, selector, timeout, peer);
            if (!channel.connect(address)) {
                wire.await(SelectionKey.OP_CONNECT, "connecting");
                while (!channel.finishConnect()) {
                    wire.await(SelectionKey.OP_CONNECT, "connecting");
                }
            }
            return wire;
        } catch (IOException | UnresolvedAddressException e) {
            closeQuietly(selector, channel);
            if (e instanceof NbdException n) {
                throw n;
            }
            throw new NbdException(peer + ": cannot connect: " + e, e);
        }
    }

    /** Fills {@code dst} from the server; {@code what} says in messages what was being read. */
    void readFully(ByteBuffer dst, String what) throws IOException {
        while (dst.hasRemaining()) {
            int n = channel.read(dst);
            if (n < 0) {
                throw new NbdException(peer + ": the server closed the connection while " + what);
            }
            if (n == 0) {
                if (quickAck) {
                    // qemu-nbd sends a reply's pieces (option replies, one status chunk per context)
                    // in separate small writes without TCP_NODELAY: Nagle holds each piece until the
                    // last is acknowledged, and a delayed ACK costs 40 ms. Acknowledge at once. Linux
                    // drops back to delayed ACKs by itself, so this is re-armed before every wait.
                    channel.setOption(ExtendedSocketOptions.TCP_QUICKACK, true);
                }
                await(SelectionKey.OP_READ, what);
            }
        }
    }

    /**
     * Reads {@code n} bytes (at most {@link #SCRATCH}) into a shared big-endian buffer, valid until
     * the next call.
     */
    ByteBuffer read(int n, String what) throws IOException {
        if (n < 0 || n > SCRATCH) {
            throw new IllegalArgumentException("read of " + n + " bytes into the scratch buffer");
        }
        scratch.clear().limit(n);
        readFully(scratch, what);
        return scratch.flip();
    }

    /** Reads and discards {@code n} bytes. */
    void skip(long n, String what) throws IOException {
        for (long left = n; left > 0; ) {
            int step = (int) Math.min(left, SCRATCH);
            read(step, what);
            left -= step;
        }
    }

    void write(ByteBuffer src, String what) throws IOException {
        while (src.hasRemaining()) {
            if (channel.write(src) == 0) {
                await(SelectionKey.OP_WRITE, what);
            }
        }
    }

    /** Waits until the channel is ready for {@code op}, at most the timeout. */
    private void await(int op, String what) throws IOException {
        key.interestOps(op);
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                throw new NbdException(peer + ": nothing from the server for " + timeout.toMillis() + " ms while "
                        + what);
            }
            // A key left in the selected set would make select() report 0 although it is ready.
            selector.selectedKeys().clear();
            if (selector.select(Math.max(1, Duration.ofNanos(left).toMillis())) > 0) {
                return;
            }
            if (Thread.interrupted()) {
                throw new InterruptedIOException(peer + ": interrupted while " + what);
            }
        }
    }

    @Override
    public void close() {
        closeQuietly(selector, channel);
    }

    private static void closeQuietly(Closeable... all) {
        for (Closeable c : all) {
            if (c != null) {
                try {
                    c.close();
                } catch (IOException e) {
                    // Nothing is left to do with a connection being dropped.
                }
            }
        }
    }
}
