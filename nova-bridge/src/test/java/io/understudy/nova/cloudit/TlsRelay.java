package io.understudy.nova.cloudit;

import io.understudy.agent.api.Tls;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import javax.net.ssl.SSLContext;

/**
 * TLS in front of a plain TCP service, as a load balancer that terminates TLS before Keystone:
 * accepts TLS on 127.0.0.1 with a certificate and key, and relays each connection's bytes both
 * ways to the service.
 */
final class TlsRelay implements AutoCloseable {

    private final ServerSocket server;
    private final InetSocketAddress target;
    private final ExecutorService pumps = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "tls-relay");
        t.setDaemon(true);
        return t;
    });

    TlsRelay(Path certificate, Path key, InetSocketAddress target) throws IOException {
        this.target = target;
        SSLContext context;
        try {
            context = SSLContext.getInstance("TLS");
            context.init(Tls.keyManagers(certificate, key), null, null);
        } catch (GeneralSecurityException e) {
            throw new IOException("TLS with " + certificate + ": " + e.getMessage(), e);
        }
        server = context.getServerSocketFactory().createServerSocket(0, 50, InetAddress.getLoopbackAddress());
        pumps.execute(this::accept);
    }

    int port() {
        return server.getLocalPort();
    }

    private void accept() {
        while (!server.isClosed()) {
            try {
                Socket client = server.accept();
                Socket upstream = new Socket(target.getAddress(), target.getPort());
                pumps.execute(() -> pump(client, upstream));
                pumps.execute(() -> pump(upstream, client));
            } catch (IOException e) {
                // Closed, or the service refused: the client sees its connection end.
            }
        }
    }

    /** FROM's bytes to TO until either ends; then both are closed. */
    private static void pump(Socket from, Socket to) {
        try (from; to; InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
            in.transferTo(out);
        } catch (IOException e) {
            // The other direction closed them.
        }
    }

    @Override
    public void close() throws IOException {
        server.close();
        pumps.shutdownNow();
    }
}
