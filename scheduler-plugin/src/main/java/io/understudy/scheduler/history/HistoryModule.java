package io.understudy.scheduler.history;

import static java.util.Objects.requireNonNull;

import com.google.inject.AbstractModule;
import com.google.inject.Provides;
import com.google.inject.Singleton;
import java.nio.file.Path;

/** Where rounds are recorded: a JSON-lines file. */
public final class HistoryModule extends AbstractModule {

    private final Path file;

    public HistoryModule(Path file) {
        this.file = requireNonNull(file, "file is null");
    }

    @Provides
    @Singleton
    HistoryStore history() {
        return new JsonLinesHistory(file);
    }
}
