package io.understudy.agent.nbd;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * An NBD server on a thread that says what the test scripts: a well-behaved handshake and replies
 * on demand, and the faults a real server will not produce. It serves one connection; whatever
 * the script throws comes back to the test from {@link #close()}.
 */
final class FakeServer implements AutoCloseable {

    interface Script {
        void run(Peer peer) throws Exception;
    }

    record Request(int flags, int type, long cookie, long offset, long length) {}

    record Option(int code, byte[] data) {}

    private final ServerSocket listener;
    private final Thread thread;
    private final AtomicReference<Throwable> failure = new AtomicReference<>();

    private FakeServer(Script script) throws IOException {
        listener = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
        thread = new Thread(() -> {
            try (Socket s = listener.accept()) {
                // Bounds the server's waits too: a test must never hang on its fake.
                s.setSoTimeout(5000);
                // Its messages go out in pieces; Nagle would hold each back for the client's delayed ACK.
                s.setTcpNoDelay(true);
                script.run(new Peer(s));
            } catch (Throwable t) {
                failure.set(t);
            }
        }, "fake-nbd-server");
        thread.setDaemon(true);
        thread.start();
    }

    static FakeServer start(Script script) throws IOException {
        return new FakeServer(script);
    }

    InetSocketAddress address() {
        return new InetSocketAddress(listener.getInetAddress(), listener.getLocalPort());
    }

    @Override
    public void close() throws Exception {
        thread.join(TimeUnit.SECONDS.toMillis(10));
        listener.close();
        assertThat(thread.isAlive()).as("fake server still running").isFalse();
        if (failure.get() != null) {
            throw new AssertionError("fake server failed", failure.get());
        }
    }

    /** The server's end of the connection, with the protocol's messages as methods. */
    static final class Peer {
        final DataInputStream in;
        final DataOutputStream out;

        Peer(Socket s) throws IOException {
            in = new DataInputStream(new BufferedInputStream(s.getInputStream()));
            out = new DataOutputStream(new BufferedOutputStream(s.getOutputStream()));
        }

        /** The greeting of a fixed newstyle server; returns the client's flags. */
        int greet() throws IOException {
            out.writeLong(Protocol.NBDMAGIC);
            out.writeLong(Protocol.IHAVEOPT);
            out.writeShort(Protocol.FLAG_FIXED_NEWSTYLE | Protocol.FLAG_NO_ZEROES);
            out.flush();
            return in.readInt();
        }

        Option option() throws IOException {
            assertThat(in.readLong()).as("IHAVEOPT").isEqualTo(Protocol.IHAVEOPT);
            int option = in.readInt();
            byte[] data = new byte[in.readInt()];
            in.readFully(data);
            return new Option(option, data);
        }

        /** Reads one option, which must be {@code expected}; returns its data. */
        byte[] option(int expected) throws IOException {
            Option o = option();
            assertThat(o.code()).as("option").isEqualTo(expected);
            return o.data();
        }

        void optionReply(int option, int type, byte[] data) throws IOException {
            out.writeLong(Protocol.OPTION_REPLY_MAGIC);
            out.writeInt(option);
            out.writeInt(type);
            out.writeInt(data.length);
            out.write(data);
            out.flush();
        }

        /**
         * The whole handshake of a well-behaved server up to transmission: structured replies, the
         * contexts the client asks for among {@code offered} (ids 100, 101, … in that order), and
         * NBD_OPT_GO answered with the export's size and, unless null, its block sizes.
         */
        void handshake(long size, BlockSize blockSize, String... offered) throws IOException {
            greet();
            option(Protocol.OPT_STRUCTURED_REPLY);
            optionReply(Protocol.OPT_STRUCTURED_REPLY, Protocol.REP_ACK, new byte[0]);
            Option next = option();
            byte[] data = next.data();
            if (next.code() == Protocol.OPT_SET_META_CONTEXT) {
                for (String asked : metaQueries(data)) {
                    int id = List.of(offered).indexOf(asked);
                    if (id >= 0) {
                        byte[] name = asked.getBytes(StandardCharsets.UTF_8);
                        optionReply(next.code(), Protocol.REP_META_CONTEXT,
                                ByteBuffer.allocate(4 + name.length).putInt(100 + id).put(name).array());
                    }
                }
                optionReply(next.code(), Protocol.REP_ACK, new byte[0]);
                data = option(Protocol.OPT_GO);
            } else {
                assertThat(next.code()).as("option after structured replies").isEqualTo(Protocol.OPT_GO);
            }
            assertThat(data.length).as("NBD_OPT_GO data").isGreaterThanOrEqualTo(8);
            go(size, blockSize);
        }

        /** Answers NBD_OPT_GO (already read) with a good export. */
        void go(long size, BlockSize blockSize) throws IOException {
            optionReply(Protocol.OPT_GO, Protocol.REP_INFO,
                    ByteBuffer.allocate(12).putShort((short) Protocol.INFO_EXPORT).putLong(size)
                            .putShort((short) 1).array());
            if (blockSize != null) {
                optionReply(Protocol.OPT_GO, Protocol.REP_INFO,
                        ByteBuffer.allocate(14).putShort((short) Protocol.INFO_BLOCK_SIZE)
                                .putInt(blockSize.minimum()).putInt(blockSize.preferred())
                                .putInt((int) blockSize.maximum()).array());
            }
            optionReply(Protocol.OPT_GO, Protocol.REP_ACK, new byte[0]);
        }

        private static List<String> metaQueries(byte[] data) {
            var b = ByteBuffer.wrap(data);
            b.position(4 + b.getInt());
            List<String> queries = new ArrayList<>();
            for (int n = b.getInt(); n > 0; n--) {
                byte[] q = new byte[b.getInt()];
                b.get(q);
                queries.add(new String(q, StandardCharsets.UTF_8));
            }
            return queries;
        }

        Request request() throws IOException {
            assertThat(in.readInt()).as("request magic").isEqualTo(Protocol.REQUEST_MAGIC);
            int flags = in.readUnsignedShort();
            int type = in.readUnsignedShort();
            return new Request(flags, type, in.readLong(), in.readLong(), Integer.toUnsignedLong(in.readInt()));
        }

        /** Waits for the client's NBD_CMD_DISC, then for it to close the connection. */
        void expectDisconnect() throws IOException {
            assertThat(request().type()).as("request type").isEqualTo(Protocol.CMD_DISC);
            assertThat(in.read()).as("end of stream after NBD_CMD_DISC").isEqualTo(-1);
        }

        void chunk(int flags, int type, long cookie, int length) throws IOException {
            out.writeInt(Protocol.STRUCTURED_REPLY_MAGIC);
            out.writeShort(flags);
            out.writeShort(type);
            out.writeLong(cookie);
            out.writeInt(length);
        }

        void data(long cookie, long offset, byte[] bytes, boolean done) throws IOException {
            chunk(done ? Protocol.REPLY_FLAG_DONE : 0, Protocol.REPLY_TYPE_OFFSET_DATA, cookie, 8 + bytes.length);
            out.writeLong(offset);
            out.write(bytes);
            out.flush();
        }

        void hole(long cookie, long offset, int length, boolean done) throws IOException {
            chunk(done ? Protocol.REPLY_FLAG_DONE : 0, Protocol.REPLY_TYPE_OFFSET_HOLE, cookie, 12);
            out.writeLong(offset);
            out.writeInt(length);
            out.flush();
        }

        void done(long cookie) throws IOException {
            chunk(Protocol.REPLY_FLAG_DONE, Protocol.REPLY_TYPE_NONE, cookie, 0);
            out.flush();
        }

        void errorAt(long cookie, int error, String message, long offset, boolean done) throws IOException {
            byte[] m = message.getBytes(StandardCharsets.UTF_8);
            chunk(done ? Protocol.REPLY_FLAG_DONE : 0, Protocol.REPLY_TYPE_ERROR_OFFSET, cookie, 14 + m.length);
            out.writeInt(error);
            out.writeShort(m.length);
            out.write(m);
            out.writeLong(offset);
            out.flush();
        }

        /** A BLOCK_STATUS chunk: {@code extents} are pairs of length and flags. */
        void status(long cookie, int contextId, boolean done, long... extents) throws IOException {
            chunk(done ? Protocol.REPLY_FLAG_DONE : 0, Protocol.REPLY_TYPE_BLOCK_STATUS, cookie, 4 + 4 * extents.length);
            out.writeInt(contextId);
            for (long v : extents) {
                out.writeInt((int) v);
            }
            out.flush();
        }

        void simple(long cookie, int error, byte[] payload) throws IOException {
            out.writeInt(Protocol.SIMPLE_REPLY_MAGIC);
            out.writeInt(error);
            out.writeLong(cookie);
            out.write(payload);
            out.flush();
        }
    }
}
