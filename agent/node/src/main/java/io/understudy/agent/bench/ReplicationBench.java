package io.understudy.agent.bench;

import com.google.inject.Guice;
import com.google.inject.Injector;
import io.understudy.agent.api.AgentClient;
import io.understudy.agent.api.Peer;
import io.understudy.agent.api.Protection;
import io.understudy.agent.api.Role;
import io.understudy.agent.config.ConfigReader;
import io.understudy.agent.delta.DeltaHeader;
import io.understudy.agent.delta.DeltaStats;
import io.understudy.agent.delta.DeltaWriter;
import io.understudy.agent.delta.Differ;
import io.understudy.agent.delta.Manifest;
import io.understudy.agent.qcow2.BackingChain;
import io.understudy.agent.replica.ReplicaStore;
import io.understudy.agent.server.AgentServer;
import io.understudy.agent.server.ConfigModule;
import io.understudy.agent.server.HttpModule;
import io.understudy.agent.server.LibvirtModule;
import io.understudy.agent.server.MetricsModule;
import io.understudy.agent.server.ReplicationModule;
import io.understudy.agent.server.StoreModule;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.channels.FileChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;

/**
 * Replication over loopback as the agents do it: one delta streamed over HTTP to one or more
 * secondary agents at once (each in this JVM, wired as {@code serve} wires it), written as a verified,
 * fsynced layer on each. Set beside the same bytes pumped through a bare loopback socket in the
 * same run, and with the bytes on the wire related to the data they carry.
 */
final class ReplicationBench {

    static final double TARGET_MBPS = 500;
    static final double TARGET_WIRE_RATIO = 1.02;

    /** What one run measured. */
    record Figures(long dataBytes, long deltaBytes, long payloadBytes, double socketMBps, double diskMBps,
            List<Double> secondaryMBps, boolean correct) {
        double wireRatio() {
            return (double) deltaBytes / payloadBytes;
        }
    }

    private final Path dir;
    private final Tools tools;
    private final PrintWriter log;

    ReplicationBench(Path dir, Tools tools, PrintWriter log) {
        this.dir = dir;
        this.tools = tools;
        this.log = log;
    }

    /** Sends {@code data} of random data as a seed to {@code secondaries} agents at once. */
    Figures run(long data, int secondaries) throws IOException, Tools.Failure {
        log.println("bench: an image with " + Amounts.bytes(data) + " of random data, and its seed delta");
        Path raw = dir.resolve("disk.raw");
        writeRandom(raw, data);
        Path image = dir.resolve("disk.qcow2");
        tools.run("qemu-img", "convert", "-O", "qcow2", raw.toString(), image.toString());
        Files.delete(raw);
        UUID vm = UUID.randomUUID();
        Path delta = dir.resolve("seed.delta");
        DeltaStats stats = seed(image, vm, delta);

        log.println("bench: a bare loopback socket, and the same bytes written and fsynced, for the baselines");
        double socket = pump(delta);
        double disk = copyAndFsync(delta, dir.resolve("copy"));

        log.println("bench: " + secondaries + " secondary agent(s) on 127.0.0.1 receiving the delta at once");
        List<String> hosts = java.util.stream.IntStream.rangeClosed(1, secondaries).mapToObj(i -> "secondary" + i)
                .toList();
        Path token = Files.writeString(dir.resolve("token"), "bench-cluster-token-" + UUID.randomUUID());
        List<AgentServer> servers = new ArrayList<>();
        List<Double> rates;
        boolean correct = true;
        try {
            List<AgentClient> clients = new ArrayList<>();
            List<ReplicaStore> stores = new ArrayList<>();
            for (String host : hosts) {
                Injector agent = agent(host, dir.resolve(host), token);
                AgentServer server = agent.getInstance(AgentServer.class);
                servers.add(server);
                stores.add(agent.getInstance(ReplicaStore.class));
                int port = server.start();
                clients.add(new AgentClient(URI.create("http://127.0.0.1:" + port + "/"), Files.readString(token), null,
                        Duration.ofMinutes(5)));
            }
            // A daemon runs for months: its receiving path is compiled. A fresh JVM spends the first
            // second(s) of a send interpreting it and compiling it on the other core, so one send
            // of the same size, to another VM, goes first and is not counted.
            log.println("bench: one unmeasured send first, to warm the agents up");
            UUID warm = UUID.randomUUID();
            Path warmDelta = dir.resolve("warmup.delta");
            seed(image, warm, warmDelta);
            sendToAll(clients, warm, warmDelta);
            for (ReplicaStore store : stores) {
                store.delete(warm);
            }
            Files.delete(warmDelta);
            log.println("bench: the measured send");
            rates = sendToAll(clients, vm, delta);
            for (String host : hosts) {
                Path top = new ReplicaStore(dir.resolve(host).resolve("data/replicas"), Clock.systemUTC()).get(vm)
                        .orElseThrow().top();
                correct &= tools.exit("qemu-img", "compare", "-q", top.toString(), image.toString()) == 0;
            }
        } finally {
            servers.forEach(AgentServer::close);
        }
        return new Figures(data, stats.deltaBytes(), stats.payloadBytes(), socket, disk, rates, correct);
    }

    /** Writes (and fsyncs) the seed delta of {@code image} for {@code vm}. */
    private static DeltaStats seed(Path image, UUID vm, Path delta) throws IOException {
        DeltaStats stats;
        try (BackingChain chain = BackingChain.open(image);
             OutputStream out = new BufferedOutputStream(Files.newOutputStream(delta), 1 << 20)) {
            DeltaHeader h = new DeltaHeader(65536, chain.virtualSize(), chain.virtualSize(), true,
                    Optional.of(new Manifest(65536, chain.virtualSize()).finish()), Optional.of(vm), 0, 1,
                    System.currentTimeMillis());
            stats = Differ.diff(null, chain, new DeltaWriter(out, h));
        }
        Tools.fsync(delta);
        return stats;
    }

    /** Assigns {@code vm} to every secondary, sends them the delta at once; each one's MB/s. */
    private static List<Double> sendToAll(List<AgentClient> clients, UUID vm, Path delta) throws IOException {
        for (AgentClient client : clients) {
            client.protect(new Protection(vm, Role.SECONDARY,
                    List.of(new Peer("primary", URI.create("http://127.0.0.1:1/"))), Duration.ofSeconds(30)));
        }
        List<CompletableFuture<Double>> sends = new ArrayList<>();
        for (AgentClient client : clients) {
            sends.add(CompletableFuture.supplyAsync(() -> {
                try {
                    long t0 = System.nanoTime();
                    client.sendDelta(vm, delta);
                    return Files.size(delta) / ((System.nanoTime() - t0) / 1e9) / 1e6;
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }));
        }
        List<Double> rates = new ArrayList<>();
        for (CompletableFuture<Double> s : sends) {
            rates.add(s.join());
        }
        return rates;
    }

    private static Injector agent(String host, Path home, Path token) throws IOException {
        Files.createDirectories(home.resolve("instances"));
        var config = ConfigReader.parse("""
                host: %s
                listen: 127.0.0.1:0
                dataDir: %s
                instancesPath: %s
                libvirt:
                  uri: test:///default
                auth:
                  mode: token
                  tokenFile: %s
                """.formatted(host, home.resolve("data"), home.resolve("instances"), token), host);
        return Guice.createInjector(new ConfigModule(config, Clock.systemUTC()), new StoreModule(), new LibvirtModule(),
                new ReplicationModule(), new MetricsModule(), new HttpModule());
    }

    /** MB/s of the file through a loopback TCP socket into a reader that discards it. */
    private static double pump(Path file) throws IOException {
        try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            CompletableFuture<Long> sink = CompletableFuture.supplyAsync(() -> {
                try (Socket s = server.accept(); InputStream in = s.getInputStream()) {
                    byte[] buf = new byte[1 << 20];
                    long n = 0;
                    for (int r; (r = in.read(buf)) > 0; ) {
                        n += r;
                    }
                    return n;
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            long t0 = System.nanoTime();
            try (SocketChannel out = SocketChannel.open(new InetSocketAddress(InetAddress.getLoopbackAddress(),
                    server.getLocalPort())); FileChannel in = FileChannel.open(file, StandardOpenOption.READ)) {
                for (long pos = 0, size = in.size(); pos < size; ) {
                    pos += in.transferTo(pos, size - pos, out);
                }
            }
            long bytes = sink.join();
            return bytes / ((System.nanoTime() - t0) / 1e9) / 1e6;
        }
    }

    /**
     * MB/s of copying the file and fsyncing the copy: what the disk itself allows a receiver that
     * must make the bytes durable, whatever the network.
     */
    private static double copyAndFsync(Path file, Path copy) throws IOException {
        long t0 = System.nanoTime();
        try (FileChannel in = FileChannel.open(file, StandardOpenOption.READ);
             FileChannel out = FileChannel.open(copy, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            for (long pos = 0, size = in.size(); pos < size; ) {
                pos += in.transferTo(pos, size - pos, out);
            }
            out.force(true);
        }
        double mbps = Files.size(file) / ((System.nanoTime() - t0) / 1e9) / 1e6;
        Files.delete(copy);
        return mbps;
    }

    private static void writeRandom(Path raw, long bytes) throws IOException {
        SplittableRandom random = new SplittableRandom(42);
        byte[] block = new byte[1 << 20];
        try (OutputStream out = Files.newOutputStream(raw)) {
            for (long done = 0; done < bytes; done += block.length) {
                for (int i = 0; i < block.length; i += 8) {
                    long v = random.nextLong();
                    for (int k = 0; k < 8; k++) {
                        block[i + k] = (byte) (v >>> (8 * k));
                    }
                }
                out.write(block, 0, (int) Math.min(block.length, bytes - done));
            }
        }
    }

    static void print(Figures f, PrintWriter out) {
        out.printf(Locale.ROOT, "%-26s %-14s %-22s %-9s %-16s %s%n", "figure", "value", "baseline", "ratio", "target",
                "verdict");
        for (int i = 0; i < f.secondaryMBps().size(); i++) {
            double r = f.secondaryMBps().get(i);
            String verdict = r >= TARGET_MBPS ? "met" : "MISSED";
            out.printf(Locale.ROOT, "%-26s %-14s %-22s %-9s %-16s %s%n", "secondary " + (i + 1) + " throughput",
                    String.format(Locale.ROOT, "%.0f MB/s", r), String.format(Locale.ROOT, "socket %.0f MB/s",
                            f.socketMBps()), String.format(Locale.ROOT, "%.2f", r / f.socketMBps()), ">= 500 MB/s",
                    verdict);
            out.printf(Locale.ROOT, "%-26s %-14s %-22s %-9s %-16s %s%n", "", "",
                    String.format(Locale.ROOT, "disk+fsync %.0f MB/s", f.diskMBps()),
                    String.format(Locale.ROOT, "%.2f", r / f.diskMBps()), "(context)", "-");
        }
        out.printf(Locale.ROOT, "%-26s %-14s %-22s %-9s %-16s %s%n", "bytes on the wire", Amounts.bytes(f.deltaBytes()),
                "data " + Amounts.bytes(f.payloadBytes()), String.format(Locale.ROOT, "%.5f", f.wireRatio()), "<= 1.02",
                f.wireRatio() <= TARGET_WIRE_RATIO ? "met" : "MISSED");
        out.printf(Locale.ROOT, "{\"bench\":\"replication\",\"dataBytes\":%d,\"deltaBytes\":%d,\"payloadBytes\":%d,"
                        + "\"wireRatio\":%.5f,\"socketMBps\":%.1f,\"diskFsyncMBps\":%.1f,\"secondaryMBps\":%s,"
                        + "\"correct\":%s}%n",
                f.dataBytes(), f.deltaBytes(), f.payloadBytes(), f.wireRatio(), f.socketMBps(), f.diskMBps(),
                f.secondaryMBps().stream().map(r -> String.format(Locale.ROOT, "%.1f", r)).toList(), f.correct());
    }
}
