package io.understudy.agent.delta;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Where two manifests differ, and the runs' wire form: what a former primary asks for. */
class DivergenceTest {

    @TempDir
    Path tmp;

    @Test
    void clustersPresentOnOneSideOnlyOrWithOtherHashesDiverge() throws IOException {
        // a: data at 1, 2, 3, 7, 9; b: the same at 1 and 9, other content at 2 and 3, data at 4 and 8, none at 7.
        Path a = manifest("a", new long[] {1, 2, 3, 7, 9}, new int[] {1, 2, 3, 7, 9});
        Path b = manifest("b", new long[] {1, 2, 3, 4, 8, 9}, new int[] {1, 20, 30, 4, 8, 9});
        try (ManifestFile.Reader ra = new ManifestFile.Reader(a); ManifestFile.Reader rb = new ManifestFile.Reader(b)) {
            long[] runs = Divergence.runs(ra, rb);
            assertThat(runs).containsExactly(2, 3, 7, 2);
            assertThat(Divergence.clusters(runs)).isEqualTo(5);
            assertThat(Divergence.decode(Divergence.encode(runs), 10)).containsExactly(runs);
        }
        try (ManifestFile.Reader ra = new ManifestFile.Reader(a); ManifestFile.Reader same = new ManifestFile.Reader(a)) {
            assertThat(Divergence.runs(ra, same)).isEmpty();
        }
    }

    @Test
    void runsOutOfOrderTouchingEmptyOrPastTheDiskAreRefused() {
        for (long[] bad : new long[][] {{5, 3, 6, 1}, {5, 3, 8, 1}, {5, 0}, {9, 2}, {-1, 2}, {3, Long.MAX_VALUE}}) {
            assertThatThrownBy(() -> Divergence.decode(Divergence.encode(bad), 10)).as("%s", bad)
                    .isInstanceOf(BadDeltaException.class);
        }
        assertThatThrownBy(() -> Divergence.decode(new byte[15], 10)).isInstanceOf(BadDeltaException.class)
                .hasMessageContaining("15 bytes");
        assertThat(Divergence.maxBytes(10)).isEqualTo(5 * 16);
    }

    private Path manifest(String name, long[] clusters, int[] contents) throws IOException {
        Path file = tmp.resolve(name);
        try (ManifestFile.Writer w = new ManifestFile.Writer(file, 65536, 10 * 65536)) {
            for (int i = 0; i < clusters.length; i++) {
                byte[] hash = new byte[Manifest.HASH_BYTES];
                hash[0] = (byte) contents[i];
                w.add(clusters[i], hash);
            }
            w.finish();
        }
        return file;
    }
}
