package io.understudy.nova.state;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** A live migration's progress as Nova reports it, told in one line with its rate. */
class MigrationProgressTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void noFiguresYetIsSaidSo() throws Exception {
        MigrationProgress none = MigrationProgress.fromJson(JSON.readTree("""
                {"memory_total_bytes": null, "memory_processed_bytes": null, "disk_total_bytes": 0}"""));
        assertThat(none.reported()).isFalse();
        assertThat(none.describe(Optional.empty(), Duration.ZERO)).isEqualTo("no figures from Nova yet");
    }

    @Test
    void nullFiguresAreNotReportedYetAndTheRateCountsMemoryAndDisk() throws Exception {
        MigrationProgress first = MigrationProgress.fromJson(JSON.readTree("""
                {"memory_total_bytes": 134217728, "memory_processed_bytes": 33554432,
                 "disk_total_bytes": null, "disk_processed_bytes": null}"""));
        assertThat(first.describe(Optional.empty(), Duration.ZERO))
                .isEqualTo("memory 25% of 128 MiB, disk not reported yet copied");

        MigrationProgress later = MigrationProgress.fromJson(JSON.readTree("""
                {"memory_total_bytes": 134217728, "memory_processed_bytes": 134217728,
                 "disk_total_bytes": 2147483648, "disk_processed_bytes": 100000000}"""));
        assertThat(later.describe(Optional.of(first), Duration.ofSeconds(2)))
                .isEqualTo("memory 100% of 128 MiB, disk 4% of 2.0 GiB copied at 100.3 MB/s");
    }
}
