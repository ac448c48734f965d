package io.understudy.scheduler.history;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JsonLinesHistoryTest {

    @TempDir
    Path dir;

    private static RoundRecord round(int n, String padding) {
        return new RoundRecord(new UUID(0, n), "c", Optional.of(Instant.EPOCH.plusSeconds(n)), Instant.EPOCH,
                Instant.EPOCH, true, Optional.empty(), "r" + padding, List.of(), 3, n, 3, Map.of("STAY", n),
                List.of(new DecisionRecord(new UUID(1, n), "vm", "compute1", "MOVE", Optional.of("live-migrate"),
                        Optional.of("compute2"), false, List.of("cpu_percent=99 outside max 90"), List.of("cpu"),
                        List.of(new CandidateRecord("compute2", 1.5, true, 1.9, List.of())))),
                List.of(), Map.of("compute1", Map.of("cpu", Instant.EPOCH)), Map.of());
    }

    @Test
    void theLastRoundsReadBackExactlyAsWrittenNewestLast() {
        JsonLinesHistory h = new JsonLinesHistory(dir.resolve("sub/history.jsonl"));
        assertThat(h.last(5)).isEmpty();
        assertThat(h.latest()).isEmpty();
        // Lines longer than the 64 KiB the reader reads at once, to cross its chunk boundaries.
        String pad = "x".repeat(70_000);
        for (int i = 1; i <= 7; i++) {
            h.append(round(i, i % 2 == 0 ? pad : ""));
        }
        assertThat(h.last(3)).containsExactly(round(5, ""), round(6, pad), round(7, ""));
        assertThat(h.last(100)).hasSize(7).first().isEqualTo(round(1, ""));
        assertThat(h.latest()).contains(round(7, ""));
    }

    @Test
    void aLineCutShortByACrashIsSkipped() throws Exception {
        Path file = dir.resolve("history.jsonl");
        JsonLinesHistory h = new JsonLinesHistory(file);
        h.append(round(1, ""));
        Files.writeString(file, "{\"id\": \"00000000-0000-0000-0000-0000", StandardCharsets.UTF_8, StandardOpenOption.APPEND);
        assertThat(h.last(5)).containsExactly(round(1, ""));
    }
}
