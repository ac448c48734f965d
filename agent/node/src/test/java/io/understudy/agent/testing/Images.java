package io.understudy.agent.testing;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;

/** Image recipes made with qemu-img and qemu-io, and per-offset comparison of allocation maps. */
public final class Images {

    private static final ObjectMapper JSON = new ObjectMapper();

    private Images() {}

    /** A qcow2 format variant: {@code options} go to {@code qemu-img create -o}. */
    public record Variant(String name, String options, int clusterSize) {
        @Override
        public String toString() {
            return name;
        }
    }

    /** The variants qemu-img can produce that matter for reading: versions, cluster sizes, refcount widths, L2 forms. */
    public static List<Variant> variants() {
        return List.of(
                new Variant("v2-64k", "compat=0.10,cluster_size=64k", 65536),
                new Variant("v2-512", "compat=0.10,cluster_size=512", 512),
                new Variant("v3-64k", "compat=1.1,cluster_size=64k", 65536),
                new Variant("v3-512", "compat=1.1,cluster_size=512", 512),
                new Variant("v3-4k", "compat=1.1,cluster_size=4k", 4096),
                new Variant("v3-2M", "compat=1.1,cluster_size=2M", 2 << 20),
                new Variant("v3-zstd", "compat=1.1,cluster_size=64k,compression_type=zstd", 65536),
                new Variant("v3-extl2-64k", "compat=1.1,cluster_size=64k,extended_l2=on", 65536),
                new Variant("v3-extl2-16k-zstd", "compat=1.1,cluster_size=16k,extended_l2=on,compression_type=zstd", 16384),
                new Variant("v3-extl2-2M", "compat=1.1,cluster_size=2M,extended_l2=on", 2 << 20),
                new Variant("v3-refcount1", "compat=1.1,cluster_size=64k,refcount_bits=1", 65536),
                new Variant("v3-refcount2", "compat=1.1,cluster_size=4k,refcount_bits=2", 4096),
                new Variant("v3-refcount8", "compat=1.1,cluster_size=64k,refcount_bits=8", 65536),
                new Variant("v3-refcount64", "compat=1.1,cluster_size=64k,refcount_bits=64", 65536),
                new Variant("v3-lazy", "compat=1.1,cluster_size=64k,lazy_refcounts=on", 65536));
    }

    public static Path create(Path image, Variant v, String size) {
        Qemu.img("create", "-q", "-f", "qcow2", "-o", v.options(), image.toString(), size);
        return image;
    }

    public static Path overlay(Path image, Variant v, Path backing, String backingFormat) {
        Qemu.img("create", "-q", "-f", "qcow2", "-o", v.options(), "-b", backing.toString(), "-F", backingFormat,
                image.toString());
        return image;
    }

    /**
     * Writes every kind of cluster a guest produces into a {@code size}-byte image: data at cluster
     * and sub-cluster granularity, zeros with and without unmapping, a compressed cluster, a discard
     * and data at the very end.
     */
    public static void writeEverything(Path image, int clusterSize, long size, int seed) {
        long cs = clusterSize;
        long c = Math.max(cs, 65536);
        List<String> cmds = new ArrayList<>(List.of(
                "write -P 0x" + hex(seed + 1) + " 0 " + c,
                "write -P 0x" + hex(seed + 2) + " " + (c + 3 * 1024) + " 3k",
                "write -P 0x" + hex(seed + 3) + " " + (3 * c + 512) + " 512",
                "write -z " + (5 * c) + " " + (2 * c),
                "write -P 0x" + hex(seed + 4) + " " + (8 * c) + " " + (3 * c),
                "write -z -u " + (9 * c) + " " + c,
                "discard " + (10 * c) + " " + c,
                "write -c -P 0x" + hex(seed + 5) + " " + (12 * c) + " " + cs,
                "write -P 0x" + hex(seed + 6) + " " + (size - c) + " " + c));
        Qemu.io(image, cmds.toArray(String[]::new));
    }

    private static String hex(int v) {
        return Integer.toHexString((v & 0x7f) | 0x10);
    }

    /** One run of a map, flattened for comparison. */
    record Run(long start, long length, int depth, boolean present, boolean zero, boolean data, long offset) {}

    /**
     * Asserts that two {@code qemu-img map --output=json} listings describe the same thing at every
     * offset: depth, present, zero, data, and the file offset where there is one. Extents may be
     * split or merged differently.
     */
    public static void assertSameMap(String ours, String qemus, String what) throws IOException {
        List<Run> a = parse(ours);
        List<Run> b = parse(qemus);
        TreeSet<Long> cuts = new TreeSet<>();
        for (Run r : a) {
            cuts.add(r.start());
            cuts.add(r.start() + r.length());
        }
        for (Run r : b) {
            cuts.add(r.start());
            cuts.add(r.start() + r.length());
        }
        assertThat(end(a)).as(what + ": mapped length").isEqualTo(end(b));
        int ia = 0;
        int ib = 0;
        Long prev = null;
        for (long cut : cuts) {
            if (prev != null) {
                while (a.get(ia).start() + a.get(ia).length() <= prev) {
                    ia++;
                }
                while (b.get(ib).start() + b.get(ib).length() <= prev) {
                    ib++;
                }
                Run x = a.get(ia);
                Run y = b.get(ib);
                String at = what + " at offset " + prev;
                assertThat(x.depth()).as(at + " depth").isEqualTo(y.depth());
                assertThat(x.present()).as(at + " present").isEqualTo(y.present());
                assertThat(x.zero()).as(at + " zero").isEqualTo(y.zero());
                assertThat(x.data()).as(at + " data").isEqualTo(y.data());
                assertThat(x.offset() >= 0).as(at + " has offset").isEqualTo(y.offset() >= 0);
                if (x.offset() >= 0) {
                    assertThat(x.offset() + (prev - x.start())).as(at + " offset").isEqualTo(y.offset() + (prev - y.start()));
                }
            }
            prev = cut;
        }
    }

    private static long end(List<Run> runs) {
        Run last = runs.get(runs.size() - 1);
        return last.start() + last.length();
    }

    private static List<Run> parse(String json) throws IOException {
        List<Run> runs = new ArrayList<>();
        for (JsonNode n : JSON.readTree(json)) {
            runs.add(new Run(n.get("start").asLong(), n.get("length").asLong(), n.get("depth").asInt(),
                    n.get("present").asBoolean(), n.get("zero").asBoolean(), n.get("data").asBoolean(),
                    n.has("offset") ? n.get("offset").asLong() : -1));
        }
        return runs;
    }
}
