package io.understudy.scheduler.bench;

import com.sun.management.OperatingSystemMXBean;
import io.understudy.scheduler.cli.Main;
import io.understudy.scheduler.history.JsonLinesHistory;
import io.understudy.scheduler.round.RoundCore;
import io.understudy.scheduler.round.RoundState;
import java.io.PrintWriter;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.lang.management.ThreadMXBean;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code understudy bench}: the evaluation round at cloud scale, beside the naive round. */
@Command(name = "bench", description = "Time one evaluation round at cloud scale (synthetic data in memory) "
        + "beside the naive round, and measure the heap. Run with -Xmx512m (UNDERSTUDY_JAVA_OPTS) to check the heap target.")
public final class BenchCommand implements Callable<Integer> {

    static final long TARGET_MILLIS = 100;
    static final long TARGET_HEAP_MIB = 512;
    /** Rounds run before timing: enough for breaches to count and for the JIT to compile the round. */
    static final int WARM_UP_ROUNDS = 12;

    @Option(names = "--hosts", defaultValue = "10000", description = "compute hosts (default ${DEFAULT-VALUE})")
    int hosts;

    @Option(names = "--vms", defaultValue = "100000", description = "protected VMs (default ${DEFAULT-VALUE})")
    int vms;

    @Option(names = "--replicas", defaultValue = "2", description = "replicas per VM (default ${DEFAULT-VALUE})")
    int replicas;

    @Option(names = "--runs", defaultValue = "9", description = "timed rounds after warm-up (default ${DEFAULT-VALUE})")
    int runs;

    @Option(names = "--naive-vms", defaultValue = "200",
            description = "VMs the naive round is timed on, then scaled to --vms (default ${DEFAULT-VALUE})")
    int naiveVms;

    @Option(names = "--json", description = "one JSON object instead of text")
    boolean json;

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        if (hosts < 2 || vms < 1 || replicas < 1 || replicas >= hosts || runs < 1 || naiveVms < 1) {
            throw new IllegalArgumentException("need --hosts >= 2, --vms >= 1, 1 <= --replicas < --hosts, --runs >= 1, --naive-vms >= 1");
        }
        PrintWriter out = spec.commandLine().getOut();
        Instant start = Instant.parse("2026-01-01T00:00:00Z");
        Synthetic data = Synthetic.make(hosts, vms, replicas, start, 42);
        RoundCore core = new RoundCore();
        long liveInputs = liveHeap();

        // Rounds a minute apart, each from the state the last left, as the controller runs them:
        // the breaches older than their for: count from the third round on; the rest warm the JIT.
        RoundState state = RoundState.INITIAL;
        Instant now = start;
        for (int i = 0; i < WARM_UP_ROUNDS; i++) {
            RoundCore.Computed c = core.compute(data.nova(), data.agents(), data.rules(), java.util.Set.of(), now, state,
                    false, java.util.Map.of());
            state = new RoundState(c.evaluation().breaches(), state.lastMoves());
            now = now.plus(Duration.ofMinutes(1));
        }
        resetPeaks();
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        // The round uses both cores for some stages: the calling thread's CPU time is not all of it.
        OperatingSystemMXBean process = (OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        long[] nanos = new long[runs];
        long[] cpuNanos = new long[runs];
        long[] processCpuNanos = new long[runs];
        long[] coreNanos = new long[runs];
        long gc0 = gcMillis();
        RoundCore.Computed last = null;
        RoundCore.Computed all = null;
        for (int i = 0; i < runs; i++) {
            long p0 = process.getProcessCpuTime();
            long c0 = threads.getCurrentThreadCpuTime();
            long t0 = System.nanoTime();
            last = core.compute(data.nova(), data.agents(), data.rules(), java.util.Set.of(), now, state, false, java.util.Map.of());
            nanos[i] = System.nanoTime() - t0;
            cpuNanos[i] = threads.getCurrentThreadCpuTime() - c0;
            processCpuNanos[i] = process.getProcessCpuTime() - p0;
        }
        long gcPerRound = (gcMillis() - gc0) / runs;
        long peak = peakHeap();
        // The other way, for comparison: every protected VM built and decided, as plan and status do.
        for (int i = 0; i < runs; i++) {
            long k0 = System.nanoTime();
            all = core.compute(data.nova(), data.agents(), data.rules(), java.util.Set.of(), now, state, true, java.util.Map.of());
            coreNanos[i] = System.nanoTime() - k0;
        }
        Arrays.sort(nanos);
        Arrays.sort(cpuNanos);
        Arrays.sort(processCpuNanos);
        Arrays.sort(coreNanos);
        double median = nanos[runs / 2] / 1e6;
        double cpuMedian = cpuNanos[runs / 2] / 1e6;
        double processCpuMedian = processCpuNanos[runs / 2] / 1e6;
        double everyVmMedian = coreNanos[runs / 2] / 1e6;
        double load = ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
        int cpus = Runtime.getRuntime().availableProcessors();

        int sample = Math.min(naiveVms, all.vms().size());
        List<io.understudy.scheduler.stats.ProtectedVm> some = all.vms().subList(0, sample);
        NaiveRound.run(some.subList(0, Math.min(10, sample)), last.samples(), data.rules(), now, state.breaches());
        long n0 = System.nanoTime();
        int naiveMoves = NaiveRound.run(some, last.samples(), data.rules(), now, state.breaches());
        double naiveSampleMs = (System.nanoTime() - n0) / 1e6;
        double naiveMs = naiveSampleMs * all.vms().size() / sample;

        Map<String, Integer> outcomes = new TreeMap<>();
        if (last.quietStays() > 0) {
            outcomes.put("STAY", last.quietStays());
        }
        last.decisions().forEach(d -> outcomes.merge(d.outcome().name(), 1, Integer::sum));
        long maxHeapMib = Runtime.getRuntime().maxMemory() >> 20;
        boolean met = median <= TARGET_MILLIS && maxHeapMib <= TARGET_HEAP_MIB;
        if (json) {
            Map<String, Object> doc = new LinkedHashMap<>();
            doc.put("hosts", hosts);
            doc.put("parameters", data.rules().rules().size());
            doc.put("vms", last.protectedVms());
            doc.put("replicas", replicas);
            doc.put("roundMillisMedian", round(median));
            doc.put("roundMillisMin", round(nanos[0] / 1e6));
            doc.put("roundMillisMax", round(nanos[runs - 1] / 1e6));
            doc.put("roundCpuMillisMedian", round(cpuMedian));
            doc.put("roundProcessCpuMillisMedian", round(processCpuMedian));
            doc.put("everyVmDecidedMillisMedian", round(everyVmMedian));
            doc.put("vmsDecided", last.vms().size());
            doc.put("gcMillisPerRound", gcPerRound);
            doc.put("loadAverage", round(load));
            doc.put("cpus", cpus);
            doc.put("naiveMillisForSample", round(naiveSampleMs));
            doc.put("naiveSampleVms", sample);
            doc.put("naiveMillisScaled", round(naiveMs));
            doc.put("naiveOverOptimized", round(naiveMs / median));
            doc.put("naiveMovesInSample", naiveMoves);
            doc.put("heapMaxMib", maxHeapMib);
            doc.put("heapLiveInputsMib", liveInputs >> 20);
            doc.put("heapPeakDuringRoundsMib", peak >> 20);
            doc.put("outcomes", outcomes);
            doc.put("targetMet", met);
            out.println(JsonLinesHistory.mapper().writeValueAsString(doc));
            return Main.EXIT_OK;
        }
        out.printf(Locale.ROOT, "one evaluation round: %d hosts x %d parameters, %d protected VMs x %d replicas%n",
                hosts, data.rules().rules().size(), last.protectedVms(), replicas);
        out.printf(Locale.ROOT, "  (from Nova's and the agents' answers in memory to decisions: merge, protection, verdicts, decisions)%n");
        out.printf(Locale.ROOT, "  round:  median %.1f ms (min %.1f, max %.1f) over %d runs; CPU time: its thread's"
                + " %.1f ms, the process's %.1f ms (all threads: the round's, GC, JIT); GC %d ms per round;"
                + " outcomes %s%n", median, nanos[0] / 1e6, nanos[runs - 1] / 1e6, runs, cpuMedian, processCpuMedian,
                gcPerRound, outcomes);
        out.printf(Locale.ROOT, "  (%d VMs on quiet hosts counted as staying, %d decided one by one)%n",
                last.quietStays(), last.vms().size());
        out.printf(Locale.ROOT, "  the same round building and deciding every VM (as plan and status do): median %.1f ms%n",
                everyVmMedian);
        out.printf(Locale.ROOT, "  naive (every VM re-evaluates every host): %.0f ms for %d VMs, scaled to %d VMs: %.1f s%n",
                naiveSampleMs, sample, all.vms().size(), naiveMs / 1000);
        out.printf(Locale.ROOT, "  naive / round: %.0fx%n", naiveMs / median);
        out.printf(Locale.ROOT, "  heap: max %d MiB (-Xmx); inputs live %d MiB; peak during the rounds %d MiB%n",
                maxHeapMib, liveInputs >> 20, peak >> 20);
        out.printf(Locale.ROOT, "  machine: %d CPUs, load average %.1f (other work competes for them: wall times rise with it)%n",
                cpus, load);
        out.printf(Locale.ROOT, "  target <= %d ms and <= %d MiB heap: %s%n", TARGET_MILLIS, TARGET_HEAP_MIB,
                met ? "met" : maxHeapMib > TARGET_HEAP_MIB ? "heap not capped: run with UNDERSTUDY_JAVA_OPTS=-Xmx512m"
                        : "NOT met");
        return Main.EXIT_OK;
    }

    private static long gcMillis() {
        return ManagementFactory.getGarbageCollectorMXBeans().stream().mapToLong(g -> Math.max(0, g.getCollectionTime())).sum();
    }

    private static double round(double d) {
        return Math.round(d * 10) / 10.0;
    }

    private static long liveHeap() {
        for (int i = 0; i < 3; i++) {
            System.gc();
        }
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }

    /**
     * Not after a full collection: that would shrink the heap and start the timed rounds with a
     * young generation too small for them, which a controller running round after round does not
     * have. So the peak also counts the warm-up's garbage not yet collected: still an upper bound.
     */
    private static void resetPeaks() {
        ManagementFactory.getMemoryPoolMXBeans().stream().filter(p -> p.getType() == MemoryType.HEAP)
                .forEach(MemoryPoolMXBean::resetPeakUsage);
    }

    /** The sum of the heap pools' peaks: an upper bound of the heap in use at any one time. */
    private static long peakHeap() {
        return ManagementFactory.getMemoryPoolMXBeans().stream().filter(p -> p.getType() == MemoryType.HEAP)
                .mapToLong(p -> p.getPeakUsage().getUsed()).sum();
    }
}
