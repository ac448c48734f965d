package io.understudy.agent.nbd;

import static io.understudy.agent.nbd.Protocol.CMD_BLOCK_STATUS;
import static io.understudy.agent.nbd.Protocol.CMD_DISC;
import static io.understudy.agent.nbd.Protocol.CMD_READ;
import static io.understudy.agent.nbd.Protocol.ESHUTDOWN;
import static io.understudy.agent.nbd.Protocol.REPLY_FLAG_DONE;
import static io.understudy.agent.nbd.Protocol.REPLY_TYPE_BLOCK_STATUS;
import static io.understudy.agent.nbd.Protocol.REPLY_TYPE_ERROR_OFFSET;
import static io.understudy.agent.nbd.Protocol.REPLY_TYPE_FLAG_ERROR;
import static io.understudy.agent.nbd.Protocol.REPLY_TYPE_NONE;
import static io.understudy.agent.nbd.Protocol.REPLY_TYPE_OFFSET_DATA;
import static io.understudy.agent.nbd.Protocol.REPLY_TYPE_OFFSET_HOLE;
import static io.understudy.agent.nbd.Protocol.REQUEST_MAGIC;
import static io.understudy.agent.nbd.Protocol.SIMPLE_REPLY_MAGIC;
import static io.understudy.agent.nbd.Protocol.STRUCTURED_REPLY_MAGIC;
import static java.util.Objects.requireNonNull;

import java.io.Closeable;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.ReadOnlyBufferException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Consumer;

/**
 * A read-only connection to one NBD export: its size, its bytes, and its block status in the
 * metadata contexts the server agreed to. One request is in flight at a time; the methods are
 * synchronized so threads may share a client, taking turns.
 *
 * <p>A failed call throws an {@link NbdException}; after anything but an
 * {@link NbdErrorException} the connection is closed and every further call fails at once.
 */
public final class NbdClient implements Closeable {

    public static final String BASE_ALLOCATION = "base:allocation";
    public static final String ALLOCATION_DEPTH = "qemu:allocation-depth";

    /**
     * Reads larger than this are split even where the server would take more: it is what every
     * server must accept, and it bounds what a reply can make either side hold.
     */
    private static final int MAX_READ = 32 << 20;
    /** The most extents one status chunk may carry: what the protocol tells servers to stay under. */
    private static final long MAX_STATUS_CHUNK = 4 + 8L * (1 << 20);
    /** Disjoint pieces one read reply may arrive in before the server is deemed hostile. */
    private static final int MAX_READ_PIECES = 4096;
    /** Error chunks one reply may carry: one is the norm, a few per content chunk the most. */
    private static final int MAX_ERROR_CHUNKS = 1024;
    private static final byte[] ZEROS = new byte[64 * 1024];

    private final Wire wire;
    private final String where;
    private final long size;
    private final BlockSize blockSize;
    private final boolean structured;
    private final Map<String, Integer> contexts;
    private final Map<Integer, String> contextNames = new HashMap<>();
    private final int maxRead;
    private final long maxStatus;
    private final ByteBuffer request = ByteBuffer.allocate(28);
    private long cookie;
    /** Why the connection can no longer be used; null while it can. */
    private String closed;

    private NbdClient(Wire wire, String where, Handshake.Negotiated n) {
        this.wire = wire;
        this.where = where;
        this.size = n.size();
        this.blockSize = n.blockSize();
        this.structured = n.structured();
        this.contexts = Collections.unmodifiableMap(n.contexts());
        contexts.forEach((name, id) -> contextNames.put(id, name));
        int min = blockSize.minimum();
        this.maxRead = (int) (Math.min(blockSize.maximum(), MAX_READ) / min * min);
        this.maxStatus = 0xffff_ffffL / min * min;
    }

    /** The context of a QEMU dirty bitmap exported under {@code name} (libvirt: {@code backup-DISK}). */
    public static String dirtyBitmap(String name) {
        return "qemu:dirty-bitmap:" + requireNonNull(name, "name");
    }

    /**
     * Connects over TCP and negotiates the export.
     *
     * @param metaContexts contexts to ask for (may be empty); {@link #contexts()} says which the
     *                     server agreed to
     * @param timeout      the longest wait for the server at any point, connecting included
     */
    public static NbdClient connect(InetSocketAddress address, String exportName, List<String> metaContexts,
            Duration timeout) throws IOException {
        requireNonNull(address, "address");
        String host = address.getHostString().contains(":") ? "[" + address.getHostString() + "]" : address.getHostString();
        return open(address, "nbd://" + host + ":" + address.getPort() + "/" + exportName, exportName, metaContexts,
                timeout);
    }

    public static NbdClient connect(String host, int port, String exportName, List<String> metaContexts,
            Duration timeout) throws IOException {
        return connect(new InetSocketAddress(requireNonNull(host, "host"), port), exportName, metaContexts, timeout);
    }

    /** Connects over a Unix socket (libvirt's {@code transport='unix'}) and negotiates the export. */
    public static NbdClient connect(Path socket, String exportName, List<String> metaContexts, Duration timeout)
            throws IOException {
        requireNonNull(socket, "socket");
        return open(UnixDomainSocketAddress.of(socket), "nbd+unix:///" + exportName + "?socket=" + socket, exportName,
                metaContexts, timeout);
    }

    private static NbdClient open(SocketAddress address, String where, String exportName, List<String> metaContexts,
            Duration timeout) throws IOException {
        byte[] name = protocolString(requireNonNull(exportName, "exportName"), "export name");
        List<byte[]> queries = new ArrayList<>();
        for (String c : new LinkedHashSet<>(requireNonNull(metaContexts, "metaContexts"))) {
            if (requireNonNull(c, "meta context").indexOf(':') < 1) {
                throw new IllegalArgumentException("meta context '" + c + "' has no namespace (as in base:allocation)");
            }
            queries.add(protocolString(c, "meta context"));
        }
        if (requireNonNull(timeout, "timeout").isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("timeout " + timeout + " is not positive");
        }
        Wire wire = Wire.connect(address, timeout, where);
        try {
            return new NbdClient(wire, where, Handshake.run(wire, where, name, queries));
        } catch (Throwable t) {
            wire.close();
            throw t;
        }
    }

    private static byte[] protocolString(String s, String what) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        if (b.length > Protocol.MAX_STRING || s.indexOf('\0') >= 0) {
            throw new IllegalArgumentException(what + " is longer than " + Protocol.MAX_STRING
                    + " bytes or holds a NUL: " + s);
        }
        return b;
    }

    /** The export's size in bytes. */
    public long size() {
        return size;
    }

    /** The export's size constraints; every offset and length asked for must be a multiple of its minimum. */
    public BlockSize blockSize() {
        return blockSize;
    }

    /** The metadata contexts the server agreed to, a subset of those asked for. */
    public Set<String> contexts() {
        return contexts.keySet();
    }

    /**
     * Fills {@code dst} from its position to its limit with the export's bytes from {@code offset},
     * in as many requests as the server's maximum payload needs. On success the position is at the
     * limit; on failure it is unchanged and the bytes in between are undefined.
     */
    public synchronized void read(long offset, ByteBuffer dst) throws IOException {
        if (requireNonNull(dst, "dst").isReadOnly()) {
            throw new ReadOnlyBufferException();
        }
        int length = dst.remaining();
        checkRange(offset, length);
        ByteBuffer all = dst.slice();
        exchange(() -> {
            for (int done = 0; done < length; ) {
                int n = Math.min(length - done, maxRead);
                readOnce(offset + done, all.slice(done, n));
                done += n;
            }
        });
        dst.position(dst.limit());
    }

    /**
     * The status of {@code [offset, offset + length)} in {@code context}, one extent per run of
     * equal flags, covering exactly that range.
     *
     * <p>The list holds one element per run: for bounded memory on a large, fragmented export ask
     * in windows, or use {@link #blockStatus(String, long, long, Consumer)}.
     */
    public List<Extent> blockStatus(String context, long offset, long length) throws IOException {
        List<Extent> extents = new ArrayList<>();
        blockStatus(context, offset, length, extents::add);
        return extents;
    }

    /**
     * Streams the status of {@code [offset, offset + length)} in {@code context} to {@code sink} in
     * order, one extent per run of equal flags, covering exactly that range; servers answer part
     * of a range at a time, so this asks until all of it is covered. On failure the sink may have
     * had part of the range; if the sink throws, the connection is dropped.
     *
     * @throws IllegalArgumentException if the server did not agree to {@code context}
     */
    public synchronized void blockStatus(String context, long offset, long length, Consumer<Extent> sink)
            throws IOException {
        Integer id = contexts.get(requireNonNull(context, "context"));
        requireNonNull(sink, "sink");
        if (id == null) {
            throw new IllegalArgumentException(where + ": context " + context + " was not negotiated; the server agreed to "
                    + contexts.keySet());
        }
        checkRange(offset, length);
        exchange(() -> {
            Merger merger = new Merger(sink);
            for (long at = offset; at < offset + length; ) {
                at += statusOnce(id, at, Math.min(offset + length - at, maxStatus), merger);
            }
            merger.flush();
        });
    }

    /** Disconnects politely ({@code NBD_CMD_DISC}) unless the connection is already gone. */
    @Override
    public synchronized void close() {
        if (closed == null) {
            disconnect("closed by the client");
        }
    }

    @Override
    public String toString() {
        return where;
    }

    private void checkRange(long offset, long length) {
        if (offset < 0 || length < 0 || offset > size || length > size - offset) {
            throw new IllegalArgumentException(where + ": range of " + length + " bytes at offset " + offset
                    + " is outside the export's " + size + " bytes");
        }
        int min = blockSize.minimum();
        if (offset % min != 0 || length % min != 0) {
            throw new IllegalArgumentException(where + ": range of " + length + " bytes at offset " + offset
                    + " is not aligned to the export's minimum block size " + min);
        }
    }

    private interface Exchange {
        void run() throws IOException;
    }

    /**
     * Runs requests and their replies. A reply cut short for any reason leaves the stream at an
     * unknown place, so every failure but a clean error reply drops the connection.
     */
    private void exchange(Exchange body) throws IOException {
        if (closed != null) {
            throw new NbdException(where + ": the connection is closed (" + closed + ")");
        }
        try {
            body.run();
        } catch (NbdErrorException e) {
            if (e.error() == ESHUTDOWN) {
                disconnect("the server is shutting down");
            }
            throw e;
        } catch (Throwable t) {
            closed = String.valueOf(t.getMessage());
            wire.close();
            throw t;
        }
    }

    private void disconnect(String why) {
        closed = why;
        try {
            send(CMD_DISC, 0, 0);
        } catch (IOException e) {
            // Leaving anyway: the server sees the connection close.
        }
        wire.close();
    }

    private long send(int type, long offset, long length) throws IOException {
        cookie++;
        request.clear().putInt(REQUEST_MAGIC).putShort((short) 0).putShort((short) type).putLong(cookie)
                .putLong(offset).putInt((int) length);
        wire.write(request.flip(), "sending " + Protocol.command(type));
        return cookie;
    }

    /** One reply message's header: a simple reply, or a chunk of a structured one. */
    private record Header(boolean simple, int error, int flags, int type, long length) {
        boolean done() {
            return simple || (flags & REPLY_FLAG_DONE) != 0;
        }
    }

    private Header header(long expected, String what) throws IOException {
        int magic = wire.read(4, what).getInt();
        if (magic == SIMPLE_REPLY_MAGIC) {
            ByteBuffer b = wire.read(12, what);
            int error = b.getInt();
            checkCookie(b.getLong(), expected, what);
            return new Header(true, error, 0, 0, 0);
        }
        if (magic == STRUCTURED_REPLY_MAGIC) {
            ByteBuffer b = wire.read(16, what);
            int flags = b.getShort() & 0xffff;
            int type = b.getShort() & 0xffff;
            checkCookie(b.getLong(), expected, what);
            Header h = new Header(false, 0, flags, type, Integer.toUnsignedLong(b.getInt()));
            if (!structured) {
                throw violation(what + ": a structured reply chunk, but structured replies were not negotiated");
            }
            return h;
        }
        throw violation(String.format("%s: reply magic 0x%08x is neither simple nor structured", what, magic));
    }

    private void checkCookie(long actual, long expected, String what) throws NbdException {
        if (actual != expected) {
            throw violation(what + ": a reply with cookie " + Long.toUnsignedString(actual) + ", but the one request"
                    + " in flight has cookie " + expected);
        }
    }

    private void readOnce(long offset, ByteBuffer piece) throws IOException {
        int length = piece.remaining();
        String what = "reading the reply to NBD_CMD_READ of " + length + " bytes at offset " + offset;
        long c = send(CMD_READ, offset, length);
        if (!structured) {
            Header h = header(c, what);
            if (h.error() != 0) {
                throw serverError(h.error(), what, "");
            }
            wire.readFully(piece, what);
            return;
        }
        Coverage seen = new Coverage(offset, length);
        ReplyErrors errors = new ReplyErrors();
        Header h;
        do {
            h = header(c, what);
            if (h.simple()) {
                throw violation(what + ": a simple reply to a read, but structured replies were negotiated");
            }
            if (h.type() == REPLY_TYPE_OFFSET_DATA) {
                if (h.length() < 9) {
                    throw violation(what + ": an OFFSET_DATA chunk of " + h.length() + " bytes (at least 9)");
                }
                long at = wire.read(8, what).getLong();
                long n = h.length() - 8;
                seen.add(at, n, "OFFSET_DATA", what);
                wire.readFully(piece.slice((int) (at - offset), (int) n), what);
            } else if (h.type() == REPLY_TYPE_OFFSET_HOLE) {
                if (h.length() != 12) {
                    throw violation(what + ": an OFFSET_HOLE chunk of " + h.length() + " bytes (exactly 12)");
                }
                ByteBuffer b = wire.read(12, what);
                long at = b.getLong();
                long n = Integer.toUnsignedLong(b.getInt());
                seen.add(at, n, "OFFSET_HOLE", what);
                zero(piece.slice((int) (at - offset), (int) n));
            } else {
                errors.other(h, offset, length, what);
            }
        } while (!h.done());
        errors.throwFirst();
        if (seen.covered != length) {
            throw violation(what + ": the reply ended without error after " + seen.covered + " of " + length
                    + " bytes");
        }
    }

    /** Asks once; returns how much of the range the answer covered (at least one byte). */
    private long statusOnce(int wanted, long offset, long length, Merger merger) throws IOException {
        String what = "reading the reply to NBD_CMD_BLOCK_STATUS of " + length + " bytes at offset " + offset;
        long c = send(CMD_BLOCK_STATUS, offset, length);
        Set<Integer> answered = new HashSet<>();
        long covered = 0;
        ReplyErrors errors = new ReplyErrors();
        Header h;
        do {
            h = header(c, what);
            if (h.simple()) {
                if (h.error() == 0) {
                    throw violation(what + ": a simple reply without error, where block status must come in chunks");
                }
                throw serverError(h.error(), what, "");
            }
            if (h.type() == REPLY_TYPE_BLOCK_STATUS) {
                if (h.length() < 12 || (h.length() - 4) % 8 != 0 || h.length() > MAX_STATUS_CHUNK) {
                    throw violation(what + ": a BLOCK_STATUS chunk of " + h.length()
                            + " bytes (4 plus 8 per extent, at most 2^20 extents)");
                }
                int id = wire.read(4, what).getInt();
                if (!contextNames.containsKey(id)) {
                    throw violation(what + ": status for context id " + Integer.toUnsignedString(id)
                            + ", which was not negotiated");
                }
                if (!answered.add(id)) {
                    throw violation(what + ": two status chunks for context " + contextNames.get(id));
                }
                long count = (h.length() - 4) / 8;
                if (id == wanted) {
                    covered = descriptors(count, offset, length, merger, what);
                } else {
                    wire.skip(count * 8, what);
                }
            } else {
                errors.other(h, offset, length, what);
            }
        } while (!h.done());
        errors.throwFirst();
        if (answered.size() != contextNames.size()) {
            throw violation(what + ": the reply ended with status for " + answered.size() + " of the "
                    + contextNames.size() + " negotiated contexts");
        }
        return covered;
    }

    /**
     * Streams one chunk's extents, cut to the request: the protocol lets the last one run past it,
     * but no extent may start after the request is covered.
     */
    private long descriptors(long count, long offset, long length, Merger merger, String what) throws IOException {
        long sum = 0;
        for (long left = count; left > 0; ) {
            int batch = (int) Math.min(left, Wire.SCRATCH / 8);
            ByteBuffer b = wire.read(batch * 8, what);
            for (int i = 0; i < batch; i++) {
                long n = Integer.toUnsignedLong(b.getInt());
                int flags = b.getInt();
                if (n == 0) {
                    throw violation(what + ": an extent of length 0");
                }
                if (sum >= length) {
                    throw violation(what + ": more extents after the first " + length + " bytes were covered");
                }
                long take = Math.min(n, length - sum);
                merger.add(new Extent(offset + sum, take, flags));
                sum += take;
            }
            left -= batch;
        }
        return sum;
    }

    /** The error chunks of one reply: the first is thrown once the reply is over. */
    private final class ReplyErrors {
        private NbdErrorException first;
        private int count;

        /** A chunk that is not the command's content: a proper final NONE, an error chunk, or a violation. */
        void other(Header h, long offset, long length, String what) throws IOException {
            if (h.type() == REPLY_TYPE_NONE && h.length() == 0 && h.done()) {
                return;
            }
            NbdErrorException e = errorChunk(h, offset, length, what);
            first = first == null ? e : first;
            if (++count > MAX_ERROR_CHUNKS) {
                throw violation(what + ": more than " + MAX_ERROR_CHUNKS + " error chunks in one reply");
            }
        }

        void throwFirst() throws NbdErrorException {
            if (first != null) {
                throw first;
            }
        }
    }

    /** An error chunk (type with bit 15), or a protocol violation if the chunk is anything else. */
    private NbdErrorException errorChunk(Header h, long offset, long length, String what) throws IOException {
        if ((h.type() & REPLY_TYPE_FLAG_ERROR) == 0) {
            throw violation(what + ": a chunk of type " + h.type() + ", length " + h.length() + ", flags " + h.flags()
                    + " where it is not allowed");
        }
        if (h.length() < 6 || h.length() > Wire.SCRATCH) {
            throw violation(what + ": an error chunk of " + h.length() + " bytes");
        }
        ByteBuffer b = wire.read((int) h.length(), what);
        int error = b.getInt();
        int messageLength = b.getShort() & 0xffff;
        if (error == 0) {
            throw violation(what + ": an error chunk with error value 0");
        }
        if (messageLength > b.remaining()) {
            throw violation(what + ": an error message of " + messageLength + " bytes in an error chunk of "
                    + h.length());
        }
        String message = Protocol.text(b, messageLength);
        String at = "";
        if (h.type() == REPLY_TYPE_ERROR_OFFSET) {
            if (b.remaining() != 8) {
                throw violation(what + ": an ERROR_OFFSET chunk with " + b.remaining() + " bytes after its message");
            }
            long o = b.getLong();
            if (o < offset || o >= offset + length) {
                throw violation(what + ": an error at offset " + Long.toUnsignedString(o) + ", outside the request");
            }
            at = " at offset " + o;
        }
        return serverError(error, what, at + (message.isEmpty() ? "" : ": " + message));
    }

    private NbdErrorException serverError(int error, String what, String detail) {
        return new NbdErrorException(where + ": the server answered with " + Protocol.error(error) + detail
                + " (" + what + ")", error);
    }

    private NbdException violation(String message) {
        return new NbdException(where + ": protocol violation: " + message);
    }

    private static void zero(ByteBuffer b) {
        while (b.hasRemaining()) {
            b.put(ZEROS, 0, Math.min(ZEROS.length, b.remaining()));
        }
    }

    /**
     * Which parts of a read request the reply has filled. Content may come in any order but must
     * stay inside the request and never overlap; adjacent pieces merge, so an orderly reply keeps
     * one entry whatever its length.
     */
    private final class Coverage {
        private final long offset;
        private final long length;
        private final TreeMap<Long, Long> pieces = new TreeMap<>();
        long covered;

        Coverage(long offset, long length) {
            this.offset = offset;
            this.length = length;
        }

        void add(long at, long n, String kind, String what) throws NbdException {
            long start = at - offset;
            if (at < offset || n <= 0 || start > length || n > length - start) {
                throw violation(what + ": an " + kind + " chunk of " + n + " bytes at offset "
                        + Long.toUnsignedString(at) + ", outside the request");
            }
            long end = start + n;
            Map.Entry<Long, Long> before = pieces.floorEntry(start);
            Map.Entry<Long, Long> after = pieces.ceilingEntry(start);
            if ((before != null && before.getValue() > start) || (after != null && after.getKey() < end)) {
                throw violation(what + ": an " + kind + " chunk at offset " + at + " overlaps earlier content");
            }
            if (before != null && before.getValue() == start) {
                start = before.getKey();
            }
            if (after != null && after.getKey() == end) {
                end = pieces.remove(after.getKey());
            }
            pieces.put(start, end);
            if (pieces.size() > MAX_READ_PIECES) {
                throw violation(what + ": the reply is scattered over more than " + MAX_READ_PIECES + " pieces");
            }
            covered += n;
        }
    }

    /** Joins adjacent extents with equal flags, across requests too, before the sink sees them. */
    private static final class Merger {
        private final Consumer<Extent> sink;
        private Extent pending;

        Merger(Consumer<Extent> sink) {
            this.sink = sink;
        }

        void add(Extent e) {
            if (pending != null && pending.end() == e.offset() && pending.flags() == e.flags()) {
                pending = new Extent(pending.offset(), pending.length() + e.length(), e.flags());
            } else {
                flush();
                pending = e;
            }
        }

        void flush() {
            if (pending != null) {
                sink.accept(pending);
                pending = null;
            }
        }
    }
}
