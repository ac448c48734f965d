package io.understudy.agent.nbd;

import java.io.File;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.SocketAddress;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * qemu-nbd serving one qcow2 image, as a child process: started on a free port or a Unix socket,
 * waited for until it accepts connections, and stopped by {@link #close()}, which tests call in
 * try-with-resources so that a failing test stops it too.
 */
final class QemuNbd implements AutoCloseable {

    private static final Duration START = Duration.ofSeconds(20);

    private final Process process;
    private final SocketAddress address;
    private final String export;
    private final Path log;

    private QemuNbd(Process process, SocketAddress address, String export, Path log) {
        this.process = process;
        this.address = address;
        this.export = export;
        this.log = log;
    }

    /** Serves {@code image} as {@code export} on 127.0.0.1; {@code options} go to qemu-nbd as they are (-B, -A). */
    static QemuNbd tcp(Path image, String export, Path dir, String... options) throws IOException {
        // The port is free when chosen and may be taken before qemu-nbd binds it: then try another.
        for (int attempt = 1; ; attempt++) {
            int port;
            try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
                port = probe.getLocalPort();
            }
            List<String> where = List.of("--bind", "127.0.0.1", "--port", Integer.toString(port));
            QemuNbd nbd = start(image, export, dir, new InetSocketAddress("127.0.0.1", port), where, options);
            if (nbd != null) {
                return nbd;
            }
            if (attempt == 5) {
                throw new IOException("qemu-nbd found no free port in 5 attempts");
            }
        }
    }

    /** Serves {@code image} as {@code export} on the Unix socket {@code socket}. */
    static QemuNbd unix(Path image, String export, Path socket, Path dir, String... options) throws IOException {
        QemuNbd nbd = start(image, export, dir, UnixDomainSocketAddress.of(socket), List.of("--socket", socket.toString()),
                options);
        if (nbd == null) {
            throw new IOException("qemu-nbd could not listen on " + socket);
        }
        return nbd;
    }

    /** Null when qemu-nbd exits because its address is taken. */
    private static QemuNbd start(Path image, String export, Path dir, SocketAddress address, List<String> where,
            String... options) throws IOException {
        List<String> command = new ArrayList<>(List.of("qemu-nbd", "--persistent", "--shared=8", "-f", "qcow2",
                "-x", export));
        command.addAll(where);
        command.addAll(List.of(options));
        command.add(image.toString());
        Path log = Files.createTempFile(dir, "qemu-nbd", ".log");
        Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
        QemuNbd nbd = new QemuNbd(process, address, export, log);
        try {
            return nbd.awaitListening(command) ? nbd : null;
        } catch (IOException | RuntimeException e) {
            nbd.close();
            throw e;
        }
    }

    /** Waits until a connection succeeds; false if qemu-nbd exited because the address is in use. */
    private boolean awaitListening(List<String> command) throws IOException {
        long deadline = System.nanoTime() + START.toNanos();
        while (System.nanoTime() < deadline) {
            try (SocketChannel probe = address instanceof UnixDomainSocketAddress
                    ? SocketChannel.open(StandardProtocolFamily.UNIX)
                    : SocketChannel.open()) {
                probe.connect(address);
                return true;
            } catch (IOException notYet) {
                // Waiting on the process rather than sleeping: it also ends the wait if qemu-nbd exits.
                try {
                    if (process.waitFor(20, TimeUnit.MILLISECONDS)) {
                        String said = Files.readString(log, StandardCharsets.UTF_8);
                        if (said.contains("Address already in use")) {
                            return false;
                        }
                        throw new IOException(String.join(" ", command) + " exited " + process.exitValue() + ": " + said);
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IOException("interrupted waiting for qemu-nbd", e);
                }
            }
        }
        throw new IOException(String.join(" ", command) + " did not accept connections within " + START);
    }

    NbdClient connect(String... contexts) throws IOException {
        Duration timeout = Duration.ofSeconds(30);
        return address instanceof UnixDomainSocketAddress u
                ? NbdClient.connect(u.getPath(), export, List.of(contexts), timeout)
                : NbdClient.connect((InetSocketAddress) address, export, List.of(contexts), timeout);
    }

    SocketAddress address() {
        return address;
    }

    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }
}
