package io.understudy.scheduler.testing;

import io.understudy.scheduler.api.StatusServer;
import io.understudy.scheduler.config.ApiConfig;
import io.understudy.scheduler.detect.Detection;
import io.understudy.scheduler.history.HistoryStore;
import java.net.InetSocketAddress;
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

    /** With the default timeouts and {@link #TOKEN}. */
    public static StatusServer start(HistoryStore history, Detection detection, String instance) {
        return StatusServer.start(config(ApiConfig.DEFAULT.idleTimeout()), TOKEN, Optional.empty(), history, detection,
                TestMetrics.fresh(), instance, false);
    }
}
