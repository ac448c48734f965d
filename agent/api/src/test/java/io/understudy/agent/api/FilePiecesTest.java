package io.understudy.agent.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FilePiecesTest {

    @TempDir
    Path dir;

    private HttpServer server;
    private final List<byte[]> bodies = new ArrayList<>();
    private final List<String> lengths = new ArrayList<>();

    @BeforeEach
    void listen() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/", exchange -> {
            lengths.add(exchange.getRequestHeaders().getFirst("Content-Length"));
            bodies.add(exchange.getRequestBody().readAllBytes());
            exchange.sendResponseHeaders(204, -1);
            exchange.close();
        });
        server.start();
    }

    @AfterEach
    void stop() {
        server.stop(0);
    }

    @Test
    void sendsTheWholeFileInPiecesWithItsLength() throws Exception {
        byte[] data = new byte[FilePieces.PIECE * 2 + 12345];
        new Random(7).nextBytes(data);
        Path file = Files.write(dir.resolve("delta"), data);

        HttpResponse<Void> r = post(FilePieces.body(file));

        assertThat(r.statusCode()).isEqualTo(204);
        assertThat(lengths).containsExactly(String.valueOf(data.length));
        assertThat(bodies.get(0)).isEqualTo(data);
    }

    @Test
    void anEmptyFileIsNoDelta() throws IOException {
        Path file = Files.createFile(dir.resolve("empty"));

        assertThatThrownBy(() -> FilePieces.body(file)).isInstanceOf(IOException.class)
                .hasMessage(file + " is empty: no delta to send");
    }

    @Test
    void aFileCutShortWhileSentFailsTheRequest() throws IOException {
        Path file = Files.write(dir.resolve("delta"), new byte[FilePieces.PIECE * 2]);
        HttpRequest.BodyPublisher body = FilePieces.body(file);
        Files.write(file, new byte[FilePieces.PIECE + 1]);

        assertThatThrownBy(() -> post(body)).isInstanceOf(IOException.class)
                .hasStackTraceContaining(file + " ended at byte " + (FilePieces.PIECE + 1) + " of "
                        + FilePieces.PIECE * 2 + ": it changed while being sent");
    }

    private HttpResponse<Void> post(HttpRequest.BodyPublisher body) throws IOException, InterruptedException {
        URI uri = URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/");
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(uri).POST(body).build(),
                HttpResponse.BodyHandlers.discarding());
    }
}
