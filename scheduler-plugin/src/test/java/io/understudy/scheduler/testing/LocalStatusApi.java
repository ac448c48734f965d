package io.understudy.scheduler.testing;

import io.understudy.scheduler.api.StatusServer;
import io.understudy.scheduler.config.ApiConfig;
import io.understudy.scheduler.detect.Detection;
import io.understudy.scheduler.history.HistoryStore;
import io.understudy.scheduler.moves.ForcedDownHosts;
import io.understudy.scheduler.moves.Journal;
import io.understudy.scheduler.moves.RecordJournal;
import io.understudy.scheduler.records.FileRecords;
import io.understudy.scheduler.round.LastRound;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.time.Duration;
import java.util.Optional;

/** A status API on a free port of 127.0.0.1, as a serving controller runs it. */
public final class LocalStatusApi {

    public static final String TOKEN = "status-api-test-cluster-token";

    private LocalStatusApi() {
    }

    public static ApiConfig config(Duration idleTimeout) {
        return new ApiConfig(Optional.of(new InetSocketAddress("127.0.0.1", 0)), idleTimeout,
                ApiConfig.DEFAULT.workers(), ApiConfig.Keystone.DEFAULT);
    }

    /** With the default timeouts and {@link #TOKEN}, and a journal of its own with no move. */
    public static StatusServer start(HistoryStore history, Detection detection, String instance) {
        try {
            return start(history, detection, new RecordJournal(new FileRecords(Files.createTempDirectory("journal"))),
                    instance);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** With the default timeouts and {@link #TOKEN}, the moves of JOURNAL, no round run yet and no host forced down. */
    public static StatusServer start(HistoryStore history, Detection detection, Journal journal, String instance) {
        try {
            return start(new StatusServer.Sources(history, detection, journal, TestMetrics.fresh(), new LastRound(),
                    new ForcedDownHosts(new FileRecords(Files.createTempDirectory("forced-down"))), Optional.empty()), instance);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** With the default timeouts and {@link #TOKEN}. */
    public static StatusServer start(StatusServer.Sources sources, String instance) {
        return StatusServer.start(config(ApiConfig.DEFAULT.idleTimeout()), TOKEN, Optional.empty(), sources, instance,
                false);
    }
}
