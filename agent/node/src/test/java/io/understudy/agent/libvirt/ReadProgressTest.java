package io.understudy.agent.libvirt;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** A full round's progress lines: one per interval at most, with percent, bytes and rate. */
class ReadProgressTest {

    private static final long SECOND = 1_000_000_000L;
    private static final long GIB = 1L << 30;

    @Test
    void aLineIsDueOncePerIntervalWithThePercentScannedTheBytesReadAndTheRate() {
        ReadProgress p = new ReadProgress("vm v disk vda, full round", 20 * GIB, 10 * SECOND, 0);
        assertThat(p.at(GIB, GIB, 9 * SECOND)).as("before the first interval").isEmpty();
        assertThat(p.at(5 * GIB, 2 * GIB, 10 * SECOND)).contains(
                "vm v disk vda, full round: 25% of 20.0 GiB scanned, 2.0 GiB read at 214.7 MB/s");
        assertThat(p.at(6 * GIB, 3 * GIB, 15 * SECOND)).as("the next one only 10 s later").isEmpty();
        assertThat(p.at(20 * GIB, 4 * GIB, 20 * SECOND)).hasValueSatisfying(line -> assertThat(line)
                .contains("100% of 20.0 GiB scanned, 4.0 GiB read"));
    }

    @Test
    void smallFiguresAreInMebibytesAndAnEmptyDiskIsWhollyScanned() {
        ReadProgress p = new ReadProgress("x", 0, SECOND, 5 * SECOND);
        assertThat(p.at(0, 3 << 20, 6 * SECOND)).contains("x: 100% of 0.0 MiB scanned, 3.0 MiB read at 3.1 MB/s");
        assertThatThrownBy(() -> new ReadProgress("x", -1, SECOND, 0)).isInstanceOf(IllegalArgumentException.class);
    }
}
