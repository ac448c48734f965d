package io.understudy.scheduler.history;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.datatype.jdk8.Jdk8Module;
import io.understudy.agent.api.Json;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

/**
 * History as a file of JSON lines, one round per line, appended. A line cut short by a crash is
 * skipped when reading, never fatal.
 */
public final class JsonLinesHistory implements HistoryStore {

    private final Path file;
    private final ObjectMapper json = mapper();

    public JsonLinesHistory(Path file) {
        this.file = requireNonNull(file, "file is null");
    }

    /** The JSON dialect of history and of the CLI's --json: ISO times, Optional as value or null. */
    public static ObjectMapper mapper() {
        return Json.mapper().registerModule(new Jdk8Module());
    }

    public Path file() {
        return file;
    }

    @Override
    public synchronized void append(RoundRecord round) {
        try {
            Path parent = file.toAbsolutePath().getParent();
            if (parent != null) {
                Files.createDirectories(parent);
            }
            byte[] line = (json.writeValueAsString(round) + "\n").getBytes(StandardCharsets.UTF_8);
            Files.write(file, line, StandardOpenOption.CREATE, StandardOpenOption.APPEND, StandardOpenOption.WRITE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot append to history " + file + ": " + e.getMessage(), e);
        }
    }

    @Override
    public synchronized List<RoundRecord> last(int limit) {
        Deque<String> lines = new ArrayDeque<>();
        try (BufferedReader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            for (String line; (line = reader.readLine()) != null; ) {
                if (!line.isBlank()) {
                    lines.addLast(line);
                    if (lines.size() > limit) {
                        lines.removeFirst();
                    }
                }
            }
        } catch (NoSuchFileException e) {
            return List.of();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read history " + file + ": " + e.getMessage(), e);
        }
        List<RoundRecord> out = new ArrayList<>(lines.size());
        for (String line : lines) {
            try {
                out.add(json.readValue(line, RoundRecord.class));
            } catch (IOException e) {
                // A line cut short by a crash: the rounds around it still count.
            }
        }
        return out;
    }
}
