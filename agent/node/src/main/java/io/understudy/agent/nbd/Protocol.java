package io.understudy.agent.nbd;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/** The numbers of the NBD protocol this client uses, named as {@code doc/proto.md} names them. */
final class Protocol {

    static final long NBDMAGIC = 0x4e42444d41474943L;
    static final long IHAVEOPT = 0x49484156454f5054L;
    /** What an oldstyle server sends where a newstyle one sends IHAVEOPT. */
    static final long CLISERV_MAGIC = 0x00420281861253L;
    static final long OPTION_REPLY_MAGIC = 0x3e889045565a9L;
    static final int REQUEST_MAGIC = 0x25609513;
    static final int SIMPLE_REPLY_MAGIC = 0x67446698;
    static final int STRUCTURED_REPLY_MAGIC = 0x668e33ef;

    static final int FLAG_FIXED_NEWSTYLE = 1;
    static final int FLAG_NO_ZEROES = 1 << 1;
    static final int FLAG_C_FIXED_NEWSTYLE = 1;
    static final int FLAG_C_NO_ZEROES = 1 << 1;
    static final int FLAG_HAS_FLAGS = 1;

    static final int OPT_ABORT = 2;
    static final int OPT_GO = 7;
    static final int OPT_STRUCTURED_REPLY = 8;
    static final int OPT_SET_META_CONTEXT = 10;

    static final int REP_ACK = 1;
    static final int REP_INFO = 3;
    static final int REP_META_CONTEXT = 4;
    static final int REP_FLAG_ERROR = 1 << 31;
    static final int REP_ERR_UNSUP = REP_FLAG_ERROR + 1;
    static final int REP_ERR_SHUTDOWN = REP_FLAG_ERROR + 7;

    static final int INFO_EXPORT = 0;
    static final int INFO_BLOCK_SIZE = 3;

    static final int CMD_READ = 0;
    static final int CMD_DISC = 2;
    static final int CMD_BLOCK_STATUS = 7;

    static final int REPLY_FLAG_DONE = 1;
    static final int REPLY_TYPE_NONE = 0;
    static final int REPLY_TYPE_OFFSET_DATA = 1;
    static final int REPLY_TYPE_OFFSET_HOLE = 2;
    static final int REPLY_TYPE_BLOCK_STATUS = 5;
    static final int REPLY_TYPE_FLAG_ERROR = 1 << 15;
    static final int REPLY_TYPE_ERROR = REPLY_TYPE_FLAG_ERROR + 1;
    static final int REPLY_TYPE_ERROR_OFFSET = REPLY_TYPE_FLAG_ERROR + 2;

    static final int EIO = 5;
    static final int EINVAL = 22;
    static final int ESHUTDOWN = 108;

    /** The protocol's limit on any string: export names, context names, error messages. */
    static final int MAX_STRING = 4096;

    private Protocol() {}

    static String option(int option) {
        return switch (option) {
            case OPT_ABORT -> "NBD_OPT_ABORT";
            case OPT_GO -> "NBD_OPT_GO";
            case OPT_STRUCTURED_REPLY -> "NBD_OPT_STRUCTURED_REPLY";
            case OPT_SET_META_CONTEXT -> "NBD_OPT_SET_META_CONTEXT";
            default -> "option " + option;
        };
    }

    static String command(int type) {
        return switch (type) {
            case CMD_READ -> "NBD_CMD_READ";
            case CMD_BLOCK_STATUS -> "NBD_CMD_BLOCK_STATUS";
            default -> "command " + type;
        };
    }

    /** An option reply type with bit 31 set, with what it means. */
    static String optionError(int type) {
        return switch (type - REP_FLAG_ERROR) {
            case 1 -> "NBD_REP_ERR_UNSUP (the server does not know this option)";
            case 2 -> "NBD_REP_ERR_POLICY (forbidden by the server's policy)";
            case 3 -> "NBD_REP_ERR_INVALID (the server found the request invalid)";
            case 4 -> "NBD_REP_ERR_PLATFORM (not supported on the server's platform)";
            case 5 -> "NBD_REP_ERR_TLS_REQD (the server requires TLS)";
            case 6 -> "NBD_REP_ERR_UNKNOWN (no such export)";
            case 7 -> "NBD_REP_ERR_SHUTDOWN (the server is shutting down)";
            case 8 -> "NBD_REP_ERR_BLOCK_SIZE_REQD (the server requires block size negotiation)";
            case 9 -> "NBD_REP_ERR_TOO_BIG (request or reply too large)";
            case 10 -> "NBD_REP_ERR_EXT_HEADER_REQD (the server requires extended headers)";
            default -> "error reply " + Integer.toUnsignedString(type);
        };
    }

    /** An NBD error value of the transmission phase. */
    static String error(int error) {
        return switch (error) {
            case 1 -> "NBD_EPERM";
            case EIO -> "NBD_EIO";
            case 12 -> "NBD_ENOMEM";
            case EINVAL -> "NBD_EINVAL";
            case 28 -> "NBD_ENOSPC";
            case 75 -> "NBD_EOVERFLOW";
            case 95 -> "NBD_ENOTSUP";
            case ESHUTDOWN -> "NBD_ESHUTDOWN";
            default -> "error " + Integer.toUnsignedString(error);
        };
    }

    /**
     * Consumes {@code n} bytes of a message the server meant for humans, made safe to put in ours:
     * at most {@link #MAX_STRING} bytes, malformed UTF-8 replaced, control characters shown as '?'.
     */
    static String text(ByteBuffer b, int n) {
        byte[] bytes = new byte[Math.min(n, MAX_STRING)];
        b.get(bytes);
        b.position(b.position() + n - bytes.length);
        StringBuilder s = new StringBuilder(new String(bytes, StandardCharsets.UTF_8));
        for (int i = 0; i < s.length(); i++) {
            if (Character.isISOControl(s.charAt(i))) {
                s.setCharAt(i, '?');
            }
        }
        return s.toString();
    }
}
