package io.understudy.agent.nbd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.understudy.agent.nbd.FakeServer.Peer;
import io.understudy.agent.nbd.FakeServer.Request;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The client against a scripted server: the protocol's framing, and every way a lying or broken
 * server can fail it, each of which must end quickly in an exception that names the fault.
 */
@Timeout(20)
class NbdClientTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(5);
    private static final long SIZE = 1 << 20;
    private static final String A = "base:allocation";
    private static final String B = "qemu:dirty-bitmap:bm0";

    private static NbdClient connect(FakeServer server, String... contexts) throws IOException {
        return NbdClient.connect(server.address(), "vda", List.of(contexts), TIMEOUT);
    }

    private static byte[] pattern(long offset, int length) {
        byte[] b = new byte[length];
        for (int i = 0; i < length; i++) {
            b[i] = (byte) ((offset + i) * 31 / 7);
        }
        return b;
    }

    /** The handshake fails with a message naming the fault; the script plays the server's part. */
    private static void assertConnectFails(FakeServer.Script script, String... messageParts) throws Exception {
        try (FakeServer server = FakeServer.start(script)) {
            assertThatThrownBy(() -> connect(server, A)).isInstanceOf(NbdException.class)
                    .hasMessageContaining("nbd://").hasMessageContaining("/vda")
                    .hasMessageContainingAll(messageParts);
        }
    }

    /** A read fails with a message naming the fault and leaves the client closed. */
    private static void assertReadBreaks(FakeServer.Script afterHandshake, String... messageParts) throws Exception {
        try (FakeServer server = FakeServer.start(p -> {
            p.handshake(SIZE, null, A);
            afterHandshake.run(p);
        }); NbdClient client = connect(server, A)) {
            assertThatThrownBy(() -> client.read(0, ByteBuffer.allocate(4096)))
                    .isInstanceOf(NbdException.class).isNotInstanceOf(NbdErrorException.class)
                    .hasMessageContainingAll(messageParts);
            assertThatThrownBy(() -> client.read(0, ByteBuffer.allocate(512)))
                    .isInstanceOf(NbdException.class).hasMessageContaining("the connection is closed");
        }
    }

    /** A block status request fails with a message naming the fault and leaves the client closed. */
    private static void assertStatusBreaks(FakeServer.Script afterRequest, String... messageParts) throws Exception {
        try (FakeServer server = FakeServer.start(p -> {
            p.handshake(SIZE, null, A, B);
            afterRequest.run(p);
        }); NbdClient client = connect(server, A, B)) {
            assertThatThrownBy(() -> client.blockStatus(A, 0, SIZE))
                    .isInstanceOf(NbdException.class).isNotInstanceOf(NbdErrorException.class)
                    .hasMessageContaining("protocol violation").hasMessageContainingAll(messageParts);
        }
    }

    // ---- handshake ----

    @Test
    void somethingThatIsNotAnNbdServerIsNamedSo() throws Exception {
        assertConnectFails(p -> {
            p.out.write("HTTP/1.1 400 Bad Request\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            p.out.flush();
        }, "not an NBD server");
    }

    @Test
    void anOldstyleServerIsRefused() throws Exception {
        assertConnectFails(p -> {
            p.out.writeLong(Protocol.NBDMAGIC);
            p.out.writeLong(Protocol.CLISERV_MAGIC);
            p.out.writeLong(SIZE);
            p.out.write(new byte[128]);
            p.out.flush();
        }, "oldstyle");
    }

    @Test
    void anUnknownExportIsRefusedWithTheServersReasonAndAPoliteGoodbye() throws Exception {
        assertConnectFails(p -> {
            p.greet();
            p.option(Protocol.OPT_STRUCTURED_REPLY);
            p.optionReply(Protocol.OPT_STRUCTURED_REPLY, Protocol.REP_ACK, new byte[0]);
            p.option(Protocol.OPT_SET_META_CONTEXT);
            p.optionReply(Protocol.OPT_SET_META_CONTEXT, Protocol.REP_ACK, new byte[0]);
            p.option(Protocol.OPT_GO);
            p.optionReply(Protocol.OPT_GO, Protocol.REP_FLAG_ERROR + 6, "export 'vda' not present".getBytes(StandardCharsets.UTF_8));
            p.option(Protocol.OPT_ABORT);
        }, "refused NBD_OPT_GO", "NBD_REP_ERR_UNKNOWN", "export 'vda' not present");
    }

    @Test
    void aReplyToAnotherOptionIsAViolation() throws Exception {
        assertConnectFails(p -> {
            p.greet();
            p.option(Protocol.OPT_STRUCTURED_REPLY);
            p.optionReply(Protocol.OPT_GO, Protocol.REP_ACK, new byte[0]);
        }, "a reply to NBD_OPT_GO while reading the reply to NBD_OPT_STRUCTURED_REPLY");
    }

    @Test
    void aBadOptionReplyMagicIsAViolation() throws Exception {
        assertConnectFails(p -> {
            p.greet();
            p.option(Protocol.OPT_STRUCTURED_REPLY);
            p.out.writeLong(0x1122334455667788L);
            p.out.write(new byte[12]);
            p.out.flush();
        }, "option reply magic 0x1122334455667788");
    }

    @Test
    void anAbsurdOptionReplyLengthIsRefusedBeforeAnythingIsAllocated() throws Exception {
        assertConnectFails(p -> {
            p.greet();
            p.option(Protocol.OPT_STRUCTURED_REPLY);
            p.out.writeLong(Protocol.OPTION_REPLY_MAGIC);
            p.out.writeInt(Protocol.OPT_STRUCTURED_REPLY);
            p.out.writeInt(Protocol.REP_ACK);
            p.out.writeInt(0xfffffff0);
            p.out.flush();
        }, "an option reply of 4294967280 bytes");
    }

    @Test
    void goAcknowledgedWithoutTheExportsSizeIsAViolation() throws Exception {
        assertConnectFails(p -> {
            p.greet();
            p.option(Protocol.OPT_STRUCTURED_REPLY);
            p.optionReply(Protocol.OPT_STRUCTURED_REPLY, Protocol.REP_ACK, new byte[0]);
            p.option(Protocol.OPT_SET_META_CONTEXT);
            p.optionReply(Protocol.OPT_SET_META_CONTEXT, Protocol.REP_ACK, new byte[0]);
            p.option(Protocol.OPT_GO);
            p.optionReply(Protocol.OPT_GO, Protocol.REP_ACK, new byte[0]);
        }, "NBD_OPT_GO acknowledged without NBD_INFO_EXPORT");
    }

    @Test
    void impossibleBlockSizesAreAViolation() throws Exception {
        assertConnectFails(p -> {
            p.greet();
            p.option(Protocol.OPT_STRUCTURED_REPLY);
            p.optionReply(Protocol.OPT_STRUCTURED_REPLY, Protocol.REP_ACK, new byte[0]);
            p.option(Protocol.OPT_SET_META_CONTEXT);
            p.optionReply(Protocol.OPT_SET_META_CONTEXT, Protocol.REP_ACK, new byte[0]);
            p.option(Protocol.OPT_GO);
            p.optionReply(Protocol.OPT_GO, Protocol.REP_INFO, ByteBuffer.allocate(14)
                    .putShort((short) Protocol.INFO_BLOCK_SIZE).putInt(3000).putInt(4096).putInt(1 << 20).array());
        }, "impossible NBD_INFO_BLOCK_SIZE", "minimum block size 3000");
    }

    @Test
    void aSilentServerTimesOutQuickly() throws Exception {
        try (FakeServer server = FakeServer.start(p -> p.in.read())) {
            long start = System.nanoTime();
            assertThatThrownBy(() -> NbdClient.connect(server.address(), "vda", List.of(), Duration.ofMillis(300)))
                    .isInstanceOf(NbdException.class)
                    .hasMessageContaining("nothing from the server for 300 ms while reading the server's greeting");
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(3));
        }
    }

    @Test
    void onlyTheContextsTheServerAgreedToAreOffered() throws Exception {
        try (FakeServer server = FakeServer.start(p -> {
            p.handshake(SIZE, null, A);
            p.expectDisconnect();
        }); NbdClient client = connect(server, A, B)) {
            assertThat(client.contexts()).containsExactly(A);
            assertThat(client.size()).isEqualTo(SIZE);
            assertThatThrownBy(() -> client.blockStatus(B, 0, SIZE)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("context " + B + " was not negotiated");
        }
    }

    // ---- reads ----

    @Test
    void aReadIsReassembledFromDataAndHolesInAnyOrder() throws Exception {
        try (FakeServer server = FakeServer.start(p -> {
            p.handshake(SIZE, null, A);
            Request r = p.request();
            assertThat(r).isEqualTo(new Request(0, Protocol.CMD_READ, r.cookie(), 8192, 12288));
            p.data(r.cookie(), 16384, pattern(16384, 4096), false);
            p.hole(r.cookie(), 12288, 4096, false);
            p.data(r.cookie(), 8192, pattern(8192, 4096), false);
            p.done(r.cookie());
            p.expectDisconnect();
        }); NbdClient client = connect(server, A)) {
            ByteBuffer dst = ByteBuffer.allocate(12288 + 10);
            Arrays.fill(dst.array(), (byte) 0x55);
            dst.position(5).limit(5 + 12288);
            client.read(8192, dst);
            assertThat(dst.position()).isEqualTo(5 + 12288);
            assertThat(Arrays.copyOfRange(dst.array(), 5, 5 + 4096)).isEqualTo(pattern(8192, 4096));
            assertThat(Arrays.copyOfRange(dst.array(), 5 + 4096, 5 + 8192)).containsOnly(0);
            assertThat(Arrays.copyOfRange(dst.array(), 5 + 8192, 5 + 12288)).isEqualTo(pattern(16384, 4096));
            assertThat(dst.array()[4]).isEqualTo((byte) 0x55);
            assertThat(dst.array()[5 + 12288]).isEqualTo((byte) 0x55);
        }
    }

    @Test
    void aReadLargerThanTheServersMaximumIsSplitIntoAlignedRequests() throws Exception {
        int max = 64 * 1024;
        List<Request> seen = new ArrayList<>();
        try (FakeServer server = FakeServer.start(p -> {
            p.handshake(SIZE, new BlockSize(512, 4096, max), A);
            for (long done = 0; done < 200 * 1024; ) {
                Request r = p.request();
                seen.add(r);
                p.data(r.cookie(), r.offset(), pattern(r.offset(), (int) r.length()), true);
                done += r.length();
            }
            p.expectDisconnect();
        }); NbdClient client = connect(server, A)) {
            assertThat(client.blockSize()).isEqualTo(new BlockSize(512, 4096, max));
            ByteBuffer dst = ByteBuffer.allocateDirect(200 * 1024);
            client.read(4096, dst);
            byte[] got = new byte[200 * 1024];
            dst.flip().get(got);
            assertThat(got).isEqualTo(pattern(4096, 200 * 1024));
            assertThatThrownBy(() -> client.read(100, ByteBuffer.allocate(512)))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("minimum block size 512");
        }
        assertThat(seen).extracting(Request::offset).containsExactly(4096L, 4096L + max, 4096L + 2 * max, 4096L + 3 * max);
        assertThat(seen).extracting(Request::length).containsExactly((long) max, (long) max, (long) max, 8192L);
    }

    @Test
    void withoutStructuredRepliesReadsUseSimpleRepliesAndNoContextIsAgreed() throws Exception {
        try (FakeServer server = FakeServer.start(p -> {
            p.greet();
            p.option(Protocol.OPT_STRUCTURED_REPLY);
            p.optionReply(Protocol.OPT_STRUCTURED_REPLY, Protocol.REP_ERR_UNSUP, new byte[0]);
            p.option(Protocol.OPT_GO);
            p.go(SIZE, null);
            Request r = p.request();
            p.simple(r.cookie(), 0, pattern(r.offset(), (int) r.length()));
            r = p.request();
            p.simple(r.cookie(), Protocol.EIO, new byte[0]);
            p.expectDisconnect();
        }); NbdClient client = connect(server, A)) {
            assertThat(client.contexts()).isEmpty();
            ByteBuffer dst = ByteBuffer.allocate(1000);
            client.read(24, dst);
            assertThat(dst.array()).isEqualTo(pattern(24, 1000));
            assertThatThrownBy(() -> client.read(0, ByteBuffer.allocate(10)))
                    .isInstanceOf(NbdErrorException.class).hasMessageContaining("NBD_EIO");
        }
    }

    @Test
    void anErrorChunkFailsTheReadButNotTheConnection() throws Exception {
        try (FakeServer server = FakeServer.start(p -> {
            p.handshake(SIZE, null, A);
            Request r = p.request();
            p.data(r.cookie(), 0, new byte[2048], false);
            p.errorAt(r.cookie(), Protocol.EIO, "disk on fire", 2048, false);
            p.done(r.cookie());
            r = p.request();
            p.data(r.cookie(), r.offset(), pattern(r.offset(), (int) r.length()), true);
            p.expectDisconnect();
        }); NbdClient client = connect(server, A)) {
            assertThatThrownBy(() -> client.read(0, ByteBuffer.allocate(4096)))
                    .isInstanceOfSatisfying(NbdErrorException.class, e -> assertThat(e.error()).isEqualTo(Protocol.EIO))
                    .hasMessageContaining("NBD_EIO at offset 2048: disk on fire");
            ByteBuffer dst = ByteBuffer.allocate(512);
            client.read(512, dst);
            assertThat(dst.array()).isEqualTo(pattern(512, 512));
        }
    }

    @Test
    void aShuttingDownServerIsLeftPolitely() throws Exception {
        try (FakeServer server = FakeServer.start(p -> {
            p.handshake(SIZE, null, A);
            Request r = p.request();
            p.errorAt(r.cookie(), Protocol.ESHUTDOWN, "", 0, true);
            p.expectDisconnect();
        }); NbdClient client = connect(server, A)) {
            assertThatThrownBy(() -> client.read(0, ByteBuffer.allocate(4096)))
                    .isInstanceOf(NbdErrorException.class).hasMessageContaining("NBD_ESHUTDOWN");
            assertThatThrownBy(() -> client.read(0, ByteBuffer.allocate(4096)))
                    .hasMessageContaining("the connection is closed (the server is shutting down)");
        }
    }

    @Test
    void aReplyWithAnotherCookieBreaksTheConnection() throws Exception {
        assertReadBreaks(p -> {
            Request r = p.request();
            p.data(r.cookie() + 1, 0, new byte[4096], true);
        }, "a reply with cookie", "but the one request in flight has cookie");
    }

    @Test
    void aBadReplyMagicBreaksTheConnection() throws Exception {
        assertReadBreaks(p -> {
            p.request();
            p.out.writeInt(0xdeadbeef);
            p.out.flush();
        }, "reply magic 0xdeadbeef is neither simple nor structured");
    }

    @Test
    void aSimpleReplyToAStructuredReadBreaksTheConnection() throws Exception {
        assertReadBreaks(p -> p.simple(p.request().cookie(), 0, new byte[4096]),
                "a simple reply to a read, but structured replies were negotiated");
    }

    @Test
    void aServerClosingMidReplyIsNamed() throws Exception {
        assertReadBreaks(p -> {
            Request r = p.request();
            p.chunk(Protocol.REPLY_FLAG_DONE, Protocol.REPLY_TYPE_OFFSET_DATA, r.cookie(), 8 + 4096);
            p.out.writeLong(0);
            p.out.write(new byte[100]);
            p.out.flush();
        }, "the server closed the connection while reading the reply to NBD_CMD_READ of 4096 bytes at offset 0");
    }

    @Test
    void aTruncatedChunkHeaderIsNamed() throws Exception {
        assertReadBreaks(p -> {
            p.request();
            p.out.writeInt(Protocol.STRUCTURED_REPLY_MAGIC);
            p.out.writeShort(0);
            p.out.flush();
        }, "the server closed the connection while reading the reply to NBD_CMD_READ");
    }

    @Test
    void anOversizedChunkIsRefusedBeforeItsDataIsRead() throws Exception {
        assertReadBreaks(p -> {
            Request r = p.request();
            p.chunk(Protocol.REPLY_FLAG_DONE, Protocol.REPLY_TYPE_OFFSET_DATA, r.cookie(), 0xfffffff0);
            p.out.writeLong(0);
            p.out.flush();
        }, "an OFFSET_DATA chunk of 4294967272 bytes at offset 0, outside the request");
    }

    @Test
    void dataOutsideTheRequestBreaksTheConnection() throws Exception {
        assertReadBreaks(p -> p.data(p.request().cookie(), 4000, new byte[512], true),
                "an OFFSET_DATA chunk of 512 bytes at offset 4000, outside the request");
    }

    @Test
    void aHoleAtANegativeOffsetBreaksTheConnection() throws Exception {
        assertReadBreaks(p -> p.hole(p.request().cookie(), -512, 512, true),
                "an OFFSET_HOLE chunk of 512 bytes at offset 18446744073709551104, outside the request");
    }

    @Test
    void overlappingContentBreaksTheConnection() throws Exception {
        assertReadBreaks(p -> {
            Request r = p.request();
            p.data(r.cookie(), 1024, new byte[1024], false);
            p.hole(r.cookie(), 0, 1536, true);
        }, "an OFFSET_HOLE chunk at offset 0 overlaps earlier content");
    }

    @Test
    void successWithBytesMissingBreaksTheConnection() throws Exception {
        assertReadBreaks(p -> {
            Request r = p.request();
            p.data(r.cookie(), 0, new byte[1024], false);
            p.hole(r.cookie(), 2048, 2048, true);
        }, "the reply ended without error after 3072 of 4096 bytes");
    }

    @Test
    void aChunkTypeAReadCannotHaveBreaksTheConnection() throws Exception {
        assertReadBreaks(p -> p.status(p.request().cookie(), 100, true, 4096, 0),
                "a chunk of type 5", "where it is not allowed");
    }

    @Test
    void endlessErrorChunksBreakTheConnection() throws Exception {
        assertReadBreaks(p -> {
            Request r = p.request();
            for (int i = 0; i <= 1024; i++) {
                p.errorAt(r.cookie(), Protocol.EIO, "", 0, false);
            }
        }, "more than 1024 error chunks in one reply");
    }

    // ---- block status ----

    @Test
    void blockStatusAsksAgainUntilTheRangeIsCoveredAndMergesEqualRuns() throws Exception {
        List<Request> seen = new ArrayList<>();
        try (FakeServer server = FakeServer.start(p -> {
            p.handshake(SIZE, null, A, B);
            Request r = p.request();
            seen.add(r);
            p.status(r.cookie(), 101, false, 4096, 0);
            p.status(r.cookie(), 100, true, 65536, 3, 65536, 0);
            r = p.request();
            seen.add(r);
            // The last extent may run past the request: it is cut.
            p.status(r.cookie(), 100, false, 131072, 0, SIZE, 3);
            p.status(r.cookie(), 101, false, SIZE, 1);
            p.done(r.cookie());
            p.expectDisconnect();
        }); NbdClient client = connect(server, A, B)) {
            assertThat(client.contexts()).containsExactly(A, B);
            assertThat(client.blockStatus(A, 0, SIZE)).containsExactly(
                    new Extent(0, 65536, 3), new Extent(65536, 196608, 0), new Extent(262144, SIZE - 262144, 3));
        }
        assertThat(seen).extracting(Request::type).containsOnly(Protocol.CMD_BLOCK_STATUS);
        assertThat(seen).extracting(Request::offset).containsExactly(0L, 131072L);
        assertThat(seen).extracting(Request::length).containsExactly(SIZE, SIZE - 131072);
    }

    @Test
    void anErrorAnswerToBlockStatusKeepsTheConnection() throws Exception {
        try (FakeServer server = FakeServer.start(p -> {
            p.handshake(SIZE, null, A);
            p.simple(p.request().cookie(), Protocol.EINVAL, new byte[0]);
            Request r = p.request();
            p.status(r.cookie(), 100, true, SIZE, 0);
            p.expectDisconnect();
        }); NbdClient client = connect(server, A)) {
            assertThatThrownBy(() -> client.blockStatus(A, 0, SIZE)).isInstanceOf(NbdErrorException.class)
                    .hasMessageContaining("NBD_EINVAL");
            assertThat(client.blockStatus(A, 4096, 8192)).containsExactly(new Extent(4096, 8192, 0));
        }
    }

    @Test
    void extentsAfterTheRangeIsCoveredAreAViolation() throws Exception {
        assertStatusBreaks(p -> p.status(p.request().cookie(), 100, true, SIZE, 0, 512, 1),
                "more extents after the first 1048576 bytes were covered");
    }

    @Test
    void aZeroLengthExtentIsAViolation() throws Exception {
        assertStatusBreaks(p -> p.status(p.request().cookie(), 100, true, 0, 0), "an extent of length 0");
    }

    @Test
    void statusForAContextNotNegotiatedIsAViolation() throws Exception {
        assertStatusBreaks(p -> p.status(p.request().cookie(), 7, true, 512, 0),
                "status for context id 7, which was not negotiated");
    }

    @Test
    void statusMissingForANegotiatedContextIsAViolation() throws Exception {
        assertStatusBreaks(p -> p.status(p.request().cookie(), 100, true, SIZE, 0),
                "the reply ended with status for 1 of the 2 negotiated contexts");
    }

    @Test
    void twoChunksForOneContextAreAViolation() throws Exception {
        assertStatusBreaks(p -> {
            Request r = p.request();
            p.status(r.cookie(), 100, false, 512, 0);
            p.status(r.cookie(), 100, true, 512, 0);
        }, "two status chunks for context base:allocation");
    }

    @Test
    void anAbsurdStatusChunkIsRefusedBeforeItIsRead() throws Exception {
        assertStatusBreaks(p -> {
            p.chunk(Protocol.REPLY_FLAG_DONE, Protocol.REPLY_TYPE_BLOCK_STATUS, p.request().cookie(), 0x7ffffffc);
            p.out.flush();
        }, "a BLOCK_STATUS chunk of 2147483644 bytes");
    }
}
