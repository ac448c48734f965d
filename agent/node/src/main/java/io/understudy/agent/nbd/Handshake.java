package io.understudy.agent.nbd;

import static io.understudy.agent.nbd.Protocol.CLISERV_MAGIC;
import static io.understudy.agent.nbd.Protocol.FLAG_C_FIXED_NEWSTYLE;
import static io.understudy.agent.nbd.Protocol.FLAG_C_NO_ZEROES;
import static io.understudy.agent.nbd.Protocol.FLAG_FIXED_NEWSTYLE;
import static io.understudy.agent.nbd.Protocol.FLAG_HAS_FLAGS;
import static io.understudy.agent.nbd.Protocol.FLAG_NO_ZEROES;
import static io.understudy.agent.nbd.Protocol.IHAVEOPT;
import static io.understudy.agent.nbd.Protocol.INFO_BLOCK_SIZE;
import static io.understudy.agent.nbd.Protocol.INFO_EXPORT;
import static io.understudy.agent.nbd.Protocol.NBDMAGIC;
import static io.understudy.agent.nbd.Protocol.OPTION_REPLY_MAGIC;
import static io.understudy.agent.nbd.Protocol.OPT_ABORT;
import static io.understudy.agent.nbd.Protocol.OPT_GO;
import static io.understudy.agent.nbd.Protocol.OPT_SET_META_CONTEXT;
import static io.understudy.agent.nbd.Protocol.OPT_STRUCTURED_REPLY;
import static io.understudy.agent.nbd.Protocol.REP_ACK;
import static io.understudy.agent.nbd.Protocol.REP_ERR_UNSUP;
import static io.understudy.agent.nbd.Protocol.REP_FLAG_ERROR;
import static io.understudy.agent.nbd.Protocol.REP_INFO;
import static io.understudy.agent.nbd.Protocol.REP_META_CONTEXT;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The handshake phase: greeting, option haggling, and {@code NBD_OPT_GO} into transmission. Every
 * reply is checked against the option it answers; a refusal from the server ends in a soft
 * disconnect ({@code NBD_OPT_ABORT}), a broken reply in a hard one (the caller closes the wire).
 */
final class Handshake {

    /** What the transmission phase needs to know of the export. */
    record Negotiated(long size, BlockSize blockSize, boolean structured, Map<String, Integer> contexts) {}

    /** Replies to one option; a server that keeps sending them is not negotiating. */
    private static final int MAX_REPLIES = 1024;

    private record Reply(int type, ByteBuffer data) {
        boolean error() {
            return (type & REP_FLAG_ERROR) != 0;
        }
    }

    private final Wire wire;
    private final String where;

    private Handshake(Wire wire, String where) {
        this.wire = wire;
        this.where = where;
    }

    static Negotiated run(Wire wire, String where, byte[] exportName, List<byte[]> contexts) throws IOException {
        Handshake h = new Handshake(wire, where);
        h.greet();
        boolean structured = h.structuredReplies();
        Map<String, Integer> agreed = structured && !contexts.isEmpty()
                ? h.setMetaContexts(exportName, contexts)
                : Map.of();
        return h.go(exportName, structured, agreed);
    }

    private void greet() throws IOException {
        ByteBuffer b = wire.read(18, "reading the server's greeting");
        long magic = b.getLong();
        if (magic != NBDMAGIC) {
            throw violation(String.format("the greeting starts with 0x%016x, not NBDMAGIC: not an NBD server", magic));
        }
        long style = b.getLong();
        if (style == CLISERV_MAGIC) {
            throw new NbdException(where + ": the server speaks only the oldstyle handshake, which has no export names,"
                    + " structured replies or block status");
        }
        if (style != IHAVEOPT) {
            throw violation(String.format("the greeting has 0x%016x where IHAVEOPT belongs", style));
        }
        int flags = b.getShort() & 0xffff;
        if ((flags & FLAG_FIXED_NEWSTYLE) == 0) {
            throw new NbdException(where + ": the server does not offer fixed newstyle negotiation, needed for"
                    + " NBD_OPT_GO and structured replies");
        }
        int ours = FLAG_C_FIXED_NEWSTYLE | ((flags & FLAG_NO_ZEROES) != 0 ? FLAG_C_NO_ZEROES : 0);
        wire.write(ByteBuffer.allocate(4).putInt(ours).flip(), "sending the client flags");
    }

    private boolean structuredReplies() throws IOException {
        send(OPT_STRUCTURED_REPLY, ByteBuffer.allocate(0));
        Reply r = reply(OPT_STRUCTURED_REPLY);
        if (r.type() == REP_ACK) {
            expectEmpty(OPT_STRUCTURED_REPLY, r);
            return true;
        }
        if (r.type() == REP_ERR_UNSUP) {
            return false;
        }
        throw unexpected(OPT_STRUCTURED_REPLY, r);
    }

    private Map<String, Integer> setMetaContexts(byte[] exportName, List<byte[]> contexts) throws IOException {
        int length = 4 + exportName.length + 4;
        for (byte[] c : contexts) {
            length += 4 + c.length;
        }
        ByteBuffer data = ByteBuffer.allocate(length).putInt(exportName.length).put(exportName).putInt(contexts.size());
        for (byte[] c : contexts) {
            data.putInt(c.length).put(c);
        }
        send(OPT_SET_META_CONTEXT, data.flip());
        Map<String, Integer> agreed = new LinkedHashMap<>();
        for (int i = 0; i < MAX_REPLIES; i++) {
            Reply r = reply(OPT_SET_META_CONTEXT);
            if (r.type() == REP_META_CONTEXT) {
                if (r.data().remaining() < 5) {
                    throw violation("an NBD_REP_META_CONTEXT reply of " + r.data().remaining() + " bytes");
                }
                int id = r.data().getInt();
                String name = utf8(r.data(), "context name");
                if (agreed.containsKey(name) || agreed.containsValue(id)) {
                    throw violation("context " + name + " (id " + id + ") selected twice or with an id already taken");
                }
                agreed.put(name, id);
            } else if (r.type() == REP_ACK) {
                expectEmpty(OPT_SET_META_CONTEXT, r);
                return agreed;
            } else if (r.type() == REP_ERR_UNSUP) {
                return Map.of();
            } else {
                throw unexpected(OPT_SET_META_CONTEXT, r);
            }
        }
        throw violation("more than " + MAX_REPLIES + " replies to NBD_OPT_SET_META_CONTEXT");
    }

    private Negotiated go(byte[] exportName, boolean structured, Map<String, Integer> contexts) throws IOException {
        ByteBuffer data = ByteBuffer.allocate(4 + exportName.length + 4)
                .putInt(exportName.length).put(exportName)
                .putShort((short) 1).putShort((short) INFO_BLOCK_SIZE);
        send(OPT_GO, data.flip());
        long size = -1;
        BlockSize blockSize = BlockSize.DEFAULT;
        for (int i = 0; i < MAX_REPLIES; i++) {
            Reply r = reply(OPT_GO);
            if (r.type() == REP_INFO) {
                ByteBuffer d = r.data();
                int info = d.remaining() >= 2 ? d.getShort() & 0xffff : -1;
                if (info == INFO_EXPORT) {
                    expectLength("NBD_INFO_EXPORT", d, 10);
                    size = d.getLong();
                    int flags = d.getShort() & 0xffff;
                    if (size < 0) {
                        throw violation("an export size of " + Long.toUnsignedString(size) + " bytes");
                    }
                    if ((flags & FLAG_HAS_FLAGS) == 0) {
                        throw violation("transmission flags without NBD_FLAG_HAS_FLAGS");
                    }
                } else if (info == INFO_BLOCK_SIZE) {
                    expectLength("NBD_INFO_BLOCK_SIZE", d, 12);
                    blockSize = blockSize(d.getInt(), d.getInt(), Integer.toUnsignedLong(d.getInt()));
                } else if (info < 0) {
                    throw violation("an NBD_REP_INFO reply without an information type");
                }
                // Other information types are the server's to send and ours to ignore.
            } else if (r.type() == REP_ACK) {
                expectEmpty(OPT_GO, r);
                if (size < 0) {
                    throw violation("NBD_OPT_GO acknowledged without NBD_INFO_EXPORT");
                }
                return new Negotiated(size, blockSize, structured, contexts);
            } else {
                throw unexpected(OPT_GO, r);
            }
        }
        throw violation("more than " + MAX_REPLIES + " replies to NBD_OPT_GO");
    }

    private BlockSize blockSize(int minimum, int preferred, long maximum) throws NbdException {
        try {
            return new BlockSize(minimum, preferred, maximum);
        } catch (IllegalArgumentException e) {
            throw violation("impossible NBD_INFO_BLOCK_SIZE: " + e.getMessage());
        }
    }

    private void send(int option, ByteBuffer data) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(16 + data.remaining())
                .putLong(IHAVEOPT).putInt(option).putInt(data.remaining()).put(data);
        wire.write(b.flip(), "sending " + Protocol.option(option));
    }

    private Reply reply(int option) throws IOException {
        String what = "reading the reply to " + Protocol.option(option);
        ByteBuffer h = wire.read(20, what);
        long magic = h.getLong();
        int echoed = h.getInt();
        int type = h.getInt();
        long length = Integer.toUnsignedLong(h.getInt());
        if (magic != OPTION_REPLY_MAGIC) {
            throw violation(String.format("option reply magic 0x%016x while %s", magic, what));
        }
        if (echoed != option) {
            throw violation("a reply to " + Protocol.option(echoed) + " while " + what);
        }
        if (length > Wire.SCRATCH) {
            throw violation("an option reply of " + length + " bytes while " + what);
        }
        ByteBuffer data = ByteBuffer.allocate((int) length).put(wire.read((int) length, what));
        return new Reply(type, data.flip());
    }

    private void expectEmpty(int option, Reply r) throws NbdException {
        if (r.data().hasRemaining()) {
            throw violation("an acknowledgement of " + Protocol.option(option) + " with " + r.data().remaining()
                    + " bytes of data");
        }
    }

    private void expectLength(String info, ByteBuffer d, int length) throws NbdException {
        if (d.remaining() != length) {
            throw violation(info + " with " + d.remaining() + " bytes after its type, not " + length);
        }
    }

    /**
     * A reply the option does not allow. An error reply is the server's refusal: say it, and leave
     * politely as the protocol asks; anything else breaks the protocol.
     */
    private NbdException unexpected(int option, Reply r) {
        if (!r.error()) {
            return violation("reply type " + r.type() + " to " + Protocol.option(option));
        }
        String message = r.data().hasRemaining() ? ": " + Protocol.text(r.data(), r.data().remaining()) : "";
        try {
            send(OPT_ABORT, ByteBuffer.allocate(0));
        } catch (IOException e) {
            // The refusal is what matters; the connection is dropped either way.
        }
        return new NbdException(where + ": the server refused " + Protocol.option(option) + ": "
                + Protocol.optionError(r.type()) + message);
    }

    private String utf8(ByteBuffer b, String what) throws NbdException {
        if (b.remaining() > Protocol.MAX_STRING) {
            throw violation("a " + what + " of " + b.remaining() + " bytes");
        }
        try {
            return StandardCharsets.UTF_8.newDecoder().decode(b).toString();
        } catch (CharacterCodingException e) {
            throw violation("a " + what + " that is not UTF-8");
        }
    }

    private NbdException violation(String message) {
        return new NbdException(where + ": protocol violation in the handshake: " + message);
    }
}
