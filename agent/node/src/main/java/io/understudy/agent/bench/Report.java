package io.understudy.agent.bench;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The bench's verdict: each figure beside its baseline, as a ratio, and against issue 2's target,
 * first as a table for people, then as one JSON line (the last line) for scripts.
 */
final class Report {

    static final double FULL_COPY_SPEEDUP = 10;
    static final double RSYNC_SPEEDUP = 1;
    static final double DELTA_RATIO = 1.01;
    static final double SHA256_GBPS = 1.5;

    /** A figure beside its baseline; {@code met} null = shown for context, no target of its own. */
    private record Row(String key, String figure, String value, String baseline, String ratio, String target, Boolean met) {}

    private final DeltaBench.Figures f;
    private final DeltaBench.Update warm;

    Report(DeltaBench.Figures figures) {
        this.f = figures;
        this.warm = figures.warm();
    }

    /** Delta bytes per byte that really changed; zeroed clusters travel as small records, so it may be below 1. */
    double deltaRatio() {
        return warm.delta().deltaBytes() / (double) f.plan().changedBytes();
    }

    /** The stricter view: the whole delta against the new data alone, as if zeroed clusters travelled free. */
    double deltaToNewDataRatio() {
        return warm.delta().deltaBytes() / (double) (f.plan().newData() * Workload.CLUSTER);
    }

    boolean deltaMet() {
        return warm.delta().deltaBytes() - warm.fixedOverheadBytes() <= DELTA_RATIO * f.plan().changedBytes();
    }

    private List<Row> rows() {
        Workload.Plan p = f.plan();
        Throughput.Result h = f.hashing();
        double fullCopySpeedup = f.fullCopySeconds() / f.streamed().seconds();
        double filesSpeedup = f.fullCopySeconds() / warm.seconds();
        double rsyncSpeedup = f.rsyncSeconds() / warm.seconds();
        double coldSpeedup = f.fullCopySeconds() / f.cold().seconds();
        return List.of(
                new Row("fullCopy10x", "diff->apply", seconds(f.streamed().seconds()),
                        "full copy " + seconds(f.fullCopySeconds()), times(fullCopySpeedup), ">= 10x faster",
                        fullCopySpeedup >= FULL_COPY_SPEEDUP),
                new Row(null, "diff+apply", seconds(warm.seconds()), "full copy " + seconds(f.fullCopySeconds()),
                        times(filesSpeedup), "(context)", null),
                new Row("fasterThanRsync", "diff+apply", seconds(warm.seconds()), "rsync " + seconds(f.rsyncSeconds()),
                        times(rsyncSpeedup), "faster", rsyncSpeedup > RSYNC_SPEEDUP),
                new Row(null, "first run", seconds(f.cold().seconds()), "full copy " + seconds(f.fullCopySeconds()),
                        times(coldSpeedup), "(context)", null),
                new Row("deltaWithin1Percent", "delta size", Amounts.bytes(warm.delta().deltaBytes()),
                        "changed " + Amounts.bytes(p.changedBytes()), String.format(Locale.ROOT, "%.4f", deltaRatio()),
                        "<= 1.01 + " + warm.fixedOverheadBytes() + " B", deltaMet()),
                new Row("sha256PerCore", "SHA-256, 1 core", gbps(h.sha256GBps()), "memory copy " + gbps(h.memoryGBps()),
                        String.format(Locale.ROOT, "%.2f", h.sha256GBps() / h.memoryGBps()), ">= 1.5 GB/s",
                        h.sha256GBps() >= SHA256_GBPS));
    }

    void print(PrintWriter out) throws JsonProcessingException {
        Workload.Plan p = f.plan();
        out.printf("image: %s virtual, %s random data; NEW rewrote %d clusters of 64 KiB: %d new data, %d identical, "
                + "%d zeros (%d over data)%n", Amounts.bytes(p.size()), Amounts.bytes(p.data()), p.rewritten(),
                p.newData(), p.identical(), p.zeroed(), p.zeroedOverData());
        out.printf(Locale.ROOT, "delta: %s, %d data + %d zero clusters, %s payload, %.5f x the new data alone; "
                + "layers %s by qemu-img compare and check%n",
                warm.diffMode(), warm.delta().newClusters(), warm.delta().zeroClusters(),
                Amounts.bytes(warm.delta().payloadBytes()), deltaToNewDataRatio(),
                f.allCorrect() ? "identical to NEW and clean" : "WRONG (not identical to NEW, or not clean)");
        out.printf("diff+apply: first run diff %s + apply %s (also loads and compiles our code); median of %d more "
                + "(the agent daemon's case) diff %s + apply %s; each fsyncs its delta and layer%n",
                seconds(f.cold().diffSeconds()), seconds(f.cold().applySeconds()), DeltaBench.WARM_RUNS,
                seconds(warm.diffSeconds()), seconds(warm.applySeconds()));
        out.printf("diff->apply: the diff streamed into the apply with no delta file between them, as a primary's "
                + "round reaches a secondary (only the layer is fsynced): median of %d, %s%n", DeltaBench.WARM_RUNS,
                seconds(f.streamed().seconds()));
        out.printf(Locale.ROOT, "machine: %d cores, load average %.2f when the bench started%n",
                Runtime.getRuntime().availableProcessors(), f.loadAverage());
        String format = "%-16s %-12s %-22s %-9s %-20s %s%n";
        out.printf(format, "figure", "value", "baseline", "ratio", "target", "verdict");
        for (Row r : rows()) {
            out.printf(format, r.figure, r.value, r.baseline, r.ratio, r.target,
                    r.met == null ? "-" : r.met ? "met" : "MISSED");
        }
        out.println(new ObjectMapper().writeValueAsString(json()));
    }

    private Map<String, Object> json() {
        Workload.Plan p = f.plan();
        Map<String, Object> j = new LinkedHashMap<>();
        j.put("bench", "delta");
        j.put("sizeBytes", p.size());
        j.put("dataBytes", p.data());
        j.put("seed", Workload.SEED);
        j.put("rewrittenClusters", p.rewritten());
        j.put("newDataClusters", p.newData());
        j.put("identicalClusters", p.identical());
        j.put("zeroedClusters", p.zeroed());
        j.put("zeroedOverDataClusters", p.zeroedOverData());
        j.put("changedBytes", p.changedBytes());
        j.put("diffMode", warm.diffMode().name());
        j.put("newClusters", warm.delta().newClusters());
        j.put("zeroClusters", warm.delta().zeroClusters());
        j.put("payloadBytes", warm.delta().payloadBytes());
        j.put("deltaBytes", warm.delta().deltaBytes());
        j.put("fixedOverheadBytes", warm.fixedOverheadBytes());
        j.put("deltaRatio", round(deltaRatio(), 6));
        j.put("deltaToNewDataRatio", round(deltaToNewDataRatio(), 6));
        j.put("diffSeconds", round(warm.diffSeconds(), 3));
        j.put("applySeconds", round(warm.applySeconds(), 3));
        j.put("diffApplySeconds", round(warm.seconds(), 3));
        j.put("warmRuns", DeltaBench.WARM_RUNS);
        j.put("firstRunDiffSeconds", round(f.cold().diffSeconds(), 3));
        j.put("firstRunApplySeconds", round(f.cold().applySeconds(), 3));
        j.put("firstRunDiffApplySeconds", round(f.cold().seconds(), 3));
        j.put("fullCopySeconds", round(f.fullCopySeconds(), 3));
        j.put("rsyncSeconds", round(f.rsyncSeconds(), 3));
        j.put("streamedSeconds", round(f.streamed().seconds(), 3));
        j.put("speedupVsFullCopy", round(f.fullCopySeconds() / f.streamed().seconds(), 2));
        j.put("filesSpeedupVsFullCopy", round(f.fullCopySeconds() / warm.seconds(), 2));
        j.put("speedupVsRsync", round(f.rsyncSeconds() / warm.seconds(), 2));
        j.put("firstRunSpeedupVsFullCopy", round(f.fullCopySeconds() / f.cold().seconds(), 2));
        j.put("sha256GBps", round(f.hashing().sha256GBps(), 3));
        j.put("memoryCopyGBps", round(f.hashing().memoryGBps(), 3));
        j.put("cores", Runtime.getRuntime().availableProcessors());
        j.put("loadAverageAtStart", round(f.loadAverage(), 2));
        j.put("correct", f.allCorrect());
        Map<String, Object> targets = new LinkedHashMap<>();
        for (Row r : rows()) {
            if (r.met != null) {
                targets.put(r.key, r.met);
            }
        }
        j.put("targetsMet", targets);
        return j;
    }

    private static double round(double v, int digits) {
        double scale = Math.pow(10, digits);
        return Math.round(v * scale) / scale;
    }

    private static String seconds(double s) {
        return String.format(Locale.ROOT, "%.3f s", s);
    }

    private static String times(double x) {
        return String.format(Locale.ROOT, "%.1fx", x);
    }

    private static String gbps(double g) {
        return String.format(Locale.ROOT, "%.2f GB/s", g);
    }
}
