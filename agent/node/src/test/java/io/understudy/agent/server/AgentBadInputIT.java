package io.understudy.agent.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.understudy.agent.api.Json;
import io.understudy.agent.testing.LogCapture;
import io.understudy.agent.testing.TestAgent;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Bad input sent as raw HTTP to a real agent (token mode, plain HTTP): every one gets a 4xx and a
 * one-line JSON error naming what was wrong, the agent logs one short line and no stack trace, and
 * nothing is recorded.
 */
class AgentBadInputIT {

    private static final UUID VM = UUID.fromString("3f2a1b0c-9d8e-4f7a-8b6c-5d4e3f2a1b0c");
    private static final String TOKEN = "agent-bad-input-it-cluster-token";

    @TempDir
    Path tmp;

    private TestAgent agent;
    private LogCapture log;

    @BeforeEach
    void start() throws IOException {
        log = new LogCapture();
        Files.writeString(tmp.resolve("token"), TOKEN);
        agent = TestAgent.start("compute2", tmp.resolve("data"), tmp.resolve("instances"), "test:///default",
                tmp.resolve("token"), 0, null);
    }

    @AfterEach
    void stop() throws IOException {
        if (agent != null) {
            agent.close();
        }
        log.close();
    }

    private record Answer(int status, String body) {
        JsonNode json() throws IOException {
            return Json.mapper().readTree(body);
        }
    }

    /** One request on its own connection, bytes as given: java.net.URI would refuse some of these paths. */
    private Answer send(String method, String path, String contentType, byte[] body) throws IOException {
        try (Socket s = new Socket("127.0.0.1", agent.port())) {
            OutputStream out = s.getOutputStream();
            String head = method + " " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
                    + "Authorization: Bearer " + TOKEN + "\r\n"
                    + (contentType == null ? "" : "Content-Type: " + contentType + "\r\n")
                    + "Content-Length: " + body.length + "\r\n\r\n";
            out.write(head.getBytes(StandardCharsets.ISO_8859_1));
            out.write(body);
            out.flush();
            return parse(s.getInputStream().readAllBytes());
        }
    }

    private Answer putProtection(String json) throws IOException {
        return send("PUT", "/v1/vms/" + VM + "/protection", "application/json", json.getBytes(StandardCharsets.UTF_8));
    }

    private static Answer parse(byte[] response) {
        String text = new String(response, StandardCharsets.UTF_8);
        int end = text.indexOf("\r\n\r\n");
        String head = text.substring(0, end);
        String body = text.substring(end + 4);
        if (head.toLowerCase().contains("transfer-encoding: chunked")) {
            StringBuilder joined = new StringBuilder();
            Matcher chunk = Pattern.compile("([0-9a-fA-F]+)\r\n").matcher(body);
            int at = 0;
            while (chunk.find(at) && chunk.start() == at) {
                int size = Integer.parseInt(chunk.group(1), 16);
                joined.append(body, chunk.end(), chunk.end() + size);
                at = chunk.end() + size + 2;
            }
            body = joined.toString();
        }
        return new Answer(Integer.parseInt(head.split(" ")[1]), body);
    }

    /** The answer is {@code status}, its body one line naming {@code named}; the agent logged no stack trace. */
    private void refused(Answer a, int status, String named) throws IOException {
        assertThat(a.status()).as(a.body()).isEqualTo(status);
        assertThat(a.body()).doesNotContain("\n").doesNotContain("Exception").doesNotContain("\tat ");
        assertThat(a.json().path("status").asInt()).isEqualTo(status);
        assertThat(a.json().path("message").asText()).contains(named);
        assertThat(log.withStackTraces()).isEmpty();
        assertThat(log.lines()).noneMatch(l -> l.startsWith("ERROR"));
        assertThat(log.lines()).anyMatch(l -> l.startsWith("WARN") && l.contains(named) && l.length() < 600);
    }

    private String protection(String role, String peers) {
        return "{\"vm\":\"" + VM + "\",\"role\":" + role + ",\"peers\":" + peers + ",\"interval\":\"PT30S\"}";
    }

    private static final String PEERS = "[{\"host\":\"compute1\",\"url\":\"http://127.0.0.1:1/\"}]";

    private void nothingRecorded() throws IOException {
        assertThat(send("GET", "/v1/vms/" + VM + "/protection", null, new byte[0]).status()).isEqualTo(404);
        try (var files = Files.list(tmp.resolve("data"))) {
            assertThat(files.flatMap(d -> {
                try {
                    return Files.isDirectory(d) ? Files.list(d) : java.util.stream.Stream.of(d);
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }).filter(f -> f.toString().contains(VM.toString()))).isEmpty();
        }
    }

    @Test
    void malformedJsonIsA400NamingWhereItBroke() throws IOException {
        refused(putProtection("{\"vm\":\"" + VM + "\",\"role\":"), 400, "body");
        refused(putProtection("{\"vm\": nope}"), 400, "body");
        nothingRecorded();
    }

    @Test
    void aWronglyTypedFieldIsA400NamingTheField() throws IOException {
        refused(putProtection(protection("\"SECONDARY\"", "\"compute1\"")), 400, "peers");
        refused(putProtection(protection("\"LEADER\"", PEERS)), 400, "role");
        refused(putProtection("{\"vm\":\"not-a-uuid\",\"role\":\"SECONDARY\",\"peers\":" + PEERS + "}"), 400, "vm");
        refused(putProtection(protection("\"SECONDARY\"", PEERS).replace("PT30S", "soon")), 400, "interval");
        // A request's values are echoed, clipped: the answer and the log line stay short.
        Answer longValue = putProtection(protection("\"" + "L".repeat(50_000) + "\"", PEERS));
        refused(longValue, 400, "role");
        assertThat(longValue.body()).hasSizeLessThan(600);
        nothingRecorded();
    }

    @Test
    void anUnknownFieldIsA400NamingTheField() throws IOException {
        refused(putProtection(protection("\"SECONDARY\"", PEERS).replace("{\"vm\"", "{\"owner\":\"me\",\"vm\"")), 400,
                "owner");
        refused(putProtection(protection("\"SECONDARY\"", PEERS.replace("{\"host\"", "{\"port\":1,\"host\""))), 400,
                "peers[0].port");
        nothingRecorded();
    }

    @Test
    void aMissingFieldIsA400NamingTheField() throws IOException {
        refused(putProtection("{\"vm\":\"" + VM + "\",\"peers\":" + PEERS + "}"), 400, "role");
        refused(putProtection("{\"vm\":\"" + VM + "\",\"role\":\"SECONDARY\"}"), 400, "peers");
        refused(putProtection("{\"role\":\"SECONDARY\",\"peers\":" + PEERS + "}"), 400, "vm");
        refused(putProtection(protection("\"SECONDARY\"", "[{\"host\":\"compute1\"}]")), 400, "url");
        nothingRecorded();
    }

    @Test
    void aRefusalOfTheResourceItselfIsLoggedToo() throws IOException {
        refused(send("GET", "/v1/replicas/not-a-uuid", null, new byte[0]), 400, "VM id 'not-a-uuid'");
        refused(putProtection(protection("\"SECONDARY\"", "[" + PEERS.substring(1, PEERS.length() - 1) + ","
                + PEERS.substring(1))), 400, "exactly one peer");
        nothingRecorded();
    }

    @Test
    void aJsonBodyOverTheLimitIsA413() throws IOException {
        // The long value sits inside a field the agent reads, so the limit trips inside the JSON reader.
        refused(putProtection(protection("\"SECONDARY\"", PEERS.replace("compute1", "c".repeat(100_000)))), 413,
                "JSON body larger than");
        nothingRecorded();
    }

    @Test
    void aHoldNeedsALeaseUpToTwoHoursAndThePrimaryHere() throws IOException {
        refused(hold("{\"lease\":\"PT0S\",\"finalRound\":false}"), 400, "lease");
        refused(hold("{\"lease\":\"PT3H\",\"finalRound\":false}"), 400, "lease");
        refused(hold("{\"finalRound\":true}"), 400, "lease");
        Answer notPrimary = hold("{\"lease\":\"PT5M\",\"finalRound\":true}");
        assertThat(notPrimary.status()).as(notPrimary.body()).isEqualTo(409);
        assertThat(notPrimary.json().path("message").asText()).contains("not the primary of " + VM);
        Answer release = send("DELETE", "/v1/vms/" + VM + "/hold", null, new byte[0]);
        assertThat(release.status()).as(release.body()).isEqualTo(404);
        nothingRecorded();
    }

    private Answer hold(String json) throws IOException {
        return send("POST", "/v1/vms/" + VM + "/hold", "application/json", json.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void rawBracesAndBarsInAPathAreA400() throws IOException {
        for (String path : new String[] {"/v1/replicas/{x}", "/v1/vms/a|b/protection", "/v1/}", "/v1/replicas/%zz"}) {
            refused(send("GET", path, null, new byte[0]), 400, "path");
        }
    }

    @Test
    void aDeltaClaimingMoreThanALayerCanHoldIsA400NamingTheSize() throws Exception {
        assertThat(putProtection(protection("\"SECONDARY\"", PEERS)).status()).isEqualTo(204);
        // 1 TiB in 512-byte clusters needs an L1 table of 256 MiB: QEMU, and the layer writer, stop at 32 MiB.
        refused(send("POST", "/v1/replicas/" + VM + "/deltas", "application/octet-stream",
                seedClaiming(VM, 512, 1L << 40)), 400, "size");
        assertThat(tmp.resolve("data/replicas").resolve(VM.toString())).doesNotExist();
    }

    @Test
    void peerUrlsMustBeHttpOrHttpsToAHost() throws IOException {
        for (String url : new String[] {"file:///etc/passwd", "ftp://compute1:21/", "http://user:pw@compute1:9797/",
                "https://compute1:9797/?x=1", "https://compute1:9797/#f", "https:///v1", "compute1:9797",
                "https://compute1:9797/v1/replicas"}) {
            refused(putProtection(protection("\"SECONDARY\"", "[{\"host\":\"compute1\",\"url\":\"" + url + "\"}]")),
                    400, "compute1");
            nothingRecorded();
        }
        assertThat(putProtection(protection("\"SECONDARY\"",
                "[{\"host\":\"compute1\",\"url\":\"https://compute1.example:9797\"}]")).status()).isEqualTo(204);
    }

    /** A seed delta's header with {@code size} and {@code cluster}, one zero cluster, and its trailer. */
    private static byte[] seedClaiming(UUID vm, int cluster, long size) throws Exception {
        ByteBuffer b = ByteBuffer.allocate(4096);
        b.put("USDELTA\n".getBytes(StandardCharsets.US_ASCII)).putShort((short) 1).putShort((short) 1).putInt(cluster)
                .putLong(size).putLong(size).put(new byte[32]).putLong(vm.getMostSignificantBits())
                .putLong(vm.getLeastSignificantBits()).putLong(0).putLong(1).putLong(0);
        b.put((byte) 'Z').putLong(0).putLong(1);
        b.put((byte) 'E').putLong(1).putLong(0).putLong(1).putLong(0);
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        sha.update(b.array(), 0, b.position());
        b.put(sha.digest());
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(b.array(), 0, b.position());
        return out.toByteArray();
    }
}
