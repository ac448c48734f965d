package io.understudy.agent.libvirt;

import io.understudy.agent.api.DomainStats;
import io.understudy.agent.api.HostStats;
import java.io.IOException;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;

/**
 * Measures the node for the controller ({@code GET /v1/host/stats}). CPU figures are rates over
 * the time since the previous sample (the first sample: since this sampler was made), so the
 * caller's sampling interval is the averaging interval; the rest is read at the instant.
 *
 * <p>Node CPU, memory and load come from {@code /proc} (libvirt-java lacks
 * {@code virNodeGetCPUStats}, and the kernel's figures are what libvirt reads anyway);
 * domains and their counters from libvirt. A domain's CPU percentage is on the node's scale:
 * 100 means every host CPU busy with it, so the domains' figures add up to at most the node's.
 * While libvirtd does not answer the sample says so and holds no domains; a domain's first
 * figure after that is 0, as after the agent's start.
 */
public final class HostSampler {

    private final Hypervisor hypervisor;
    private final String host;
    private final Path instancesPath;
    private final Path proc;
    private final Clock clock;
    private final int cpus;
    private CpuTimes lastCpu;
    private long lastNanos;
    private Map<UUID, Long> lastDomainCpu;
    private double lastCpuPercent;

    /**
     * @param instancesPath the folder whose file system's free space is reported (Nova's instances path)
     * @param proc          {@code /proc}, or a stand-in in tests
     */
    public HostSampler(Hypervisor hypervisor, String host, Path instancesPath, Path proc, Clock clock)
            throws IOException {
        this.hypervisor = Objects.requireNonNull(hypervisor, "hypervisor");
        this.host = Objects.requireNonNull(host, "host");
        this.instancesPath = Objects.requireNonNull(instancesPath, "instancesPath");
        if (!Files.isDirectory(instancesPath)) {
            throw new IllegalArgumentException("instances path " + instancesPath + " is not a folder");
        }
        this.proc = Objects.requireNonNull(proc, "proc");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.cpus = Runtime.getRuntime().availableProcessors();
        this.lastCpu = CpuTimes.read(proc);
        this.lastNanos = System.nanoTime();
        this.lastDomainCpu = domainCpu(countersIfReachable().orElse(List.of()));
    }

    /**
     * One sample; {@code replicaLagSeconds}, {@code replicaVersions} and {@code stoppedProtections}
     * are the agent's own knowledge, passed through.
     */
    public synchronized HostStats sample(Map<UUID, Double> replicaLagSeconds, Map<UUID, Long> replicaVersions,
            Map<UUID, String> stoppedProtections) throws IOException {
        CpuTimes cpu = CpuTimes.read(proc);
        long now = System.nanoTime();
        long busy = cpu.busy() - lastCpu.busy();
        long total = cpu.total() - lastCpu.total();
        // No tick between two samples taken in the same instant: keep the last figure rather than divide by 0.
        double cpuPercent = total > 0 ? 100.0 * busy / total : lastCpuPercent;

        Optional<List<Hypervisor.Counters>> reachable = countersIfReachable();
        List<Hypervisor.Counters> counters = reachable.orElse(List.of());
        double wallNanos = Math.max(1, now - lastNanos) * (double) cpus;
        List<DomainStats> domains = new ArrayList<>();
        for (Hypervisor.Counters c : counters) {
            Long before = lastDomainCpu.get(c.vm());
            double percent = before == null ? 0 : Math.max(0, 100.0 * (c.cpuTimeNanos() - before) / wallNanos);
            domains.add(new DomainStats(c.vm(), c.name(), percent, c.readBytes(), c.writeBytes()));
        }

        Map<String, Long> mem = meminfo();
        FileStore store = Files.getFileStore(instancesPath);
        double[] load = loadavg();

        lastCpu = cpu;
        lastNanos = now;
        lastCpuPercent = cpuPercent;
        lastDomainCpu = domainCpu(counters);
        return new HostStats(host, Instant.now(clock), cpuPercent, kib(mem, "MemAvailable"), kib(mem, "MemTotal"),
                store.getUsableSpace(), store.getTotalSpace(), load[0], load[1], load[2], counters.size(), domains,
                replicaLagSeconds, reachable.isPresent(), stoppedProtections, replicaVersions);
    }

    /** Empty while libvirtd does not answer: the node's own figures are still worth reporting. */
    private Optional<List<Hypervisor.Counters>> countersIfReachable() throws HypervisorException {
        try {
            return Optional.of(hypervisor.counters());
        } catch (LibvirtUnreachableException e) {
            return Optional.empty();
        }
    }

    private static Map<UUID, Long> domainCpu(List<Hypervisor.Counters> counters) {
        Map<UUID, Long> m = new HashMap<>();
        counters.forEach(c -> m.put(c.vm(), c.cpuTimeNanos()));
        return m;
    }

    /** The aggregate line of /proc/stat: ticks per state since boot. */
    record CpuTimes(long busy, long total) {
        static CpuTimes read(Path proc) throws IOException {
            Path file = proc.resolve("stat");
            for (String line : Files.readAllLines(file)) {
                if (line.startsWith("cpu ")) {
                    String[] f = line.trim().split("\\s+");
                    long total = 0;
                    // user nice system idle iowait irq softirq steal; guest time is already in user.
                    for (int i = 1; i < Math.min(f.length, 9); i++) {
                        total += parse(f[i], file);
                    }
                    long idle = parse(f[4], file) + (f.length > 5 ? parse(f[5], file) : 0);
                    return new CpuTimes(total - idle, total);
                }
            }
            throw new IOException(file + " has no aggregate \"cpu \" line");
        }

        private static long parse(String s, Path file) throws IOException {
            try {
                return Long.parseLong(s);
            } catch (NumberFormatException e) {
                throw new IOException(file + ": '" + s + "' is not a tick count", e);
            }
        }
    }

    private Map<String, Long> meminfo() throws IOException {
        Path file = proc.resolve("meminfo");
        Map<String, Long> m = new HashMap<>();
        for (String line : Files.readAllLines(file)) {
            String[] f = line.split("[:\\s]+");
            if (f.length >= 2) {
                try {
                    m.put(f[0], Long.parseLong(f[1]));
                } catch (NumberFormatException e) {
                    throw new IOException(file + ": line '" + line + "' has no number", e);
                }
            }
        }
        return m;
    }

    private long kib(Map<String, Long> mem, String key) throws IOException {
        Long v = mem.get(key);
        if (v == null) {
            throw new IOException(proc.resolve("meminfo") + " has no " + key);
        }
        return v * 1024;
    }

    private double[] loadavg() throws IOException {
        Path file = proc.resolve("loadavg");
        String[] f = Files.readString(file).trim().split("\\s+");
        if (f.length < 3) {
            throw new IOException(file + " has fewer than 3 fields");
        }
        try {
            return new double[] {Double.parseDouble(f[0]), Double.parseDouble(f[1]), Double.parseDouble(f[2])};
        } catch (NumberFormatException e) {
            throw new IOException(file + ": '" + String.join(" ", f) + "' are not load averages", e);
        }
    }
}
