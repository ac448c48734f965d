package io.understudy.scheduler.records;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FileRecordsTest extends RecordsContract {

    @TempDir
    Path dir;

    @Override
    protected Records records() {
        return new FileRecords(dir);
    }

    @Test
    void aRecordIsAFileOperatorsCanRead() throws Exception {
        Records r = records();
        r.put("moves/ended", "vm-1-20261129T120000.000Z", "{}".getBytes(UTF_8));
        assertThat(r.create("fences", "compute1", "{\"by\":\"ops\"}".getBytes(UTF_8))).isTrue();
        assertThat(dir.resolve("moves/ended/vm-1-20261129T120000.000Z.json")).hasContent("{}");
        assertThat(dir.resolve("fences/compute1.json")).hasContent("{\"by\":\"ops\"}");
        assertThat(r.where("fences", "compute1")).isEqualTo(dir.resolve("fences/compute1.json").toString());
        try (var left = Files.walk(dir)) {
            assertThat(left.filter(p -> p.toString().endsWith(".partial"))).as("nothing half-written left").isEmpty();
        }
    }

    @Test
    void aFileBeingWrittenIsNotARecord() throws Exception {
        Files.createDirectories(dir.resolve("moves"));
        Files.writeString(dir.resolve("moves/vm-1-123.partial"), "{\"half");
        assertThat(records().all("moves")).isEmpty();
    }
}
