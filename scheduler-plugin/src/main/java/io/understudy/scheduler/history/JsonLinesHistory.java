package io.understudy.scheduler.history;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.datatype.jdk8.Jdk8Module;
import io.understudy.agent.api.Json;
import java.io.ByteArrayOutputStream;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

/**
 * History as a file of JSON lines, one round per line, appended (each append opens the file
 * anew, so logrotate may rename it at any time). A line cut short by a crash is skipped when
 * reading, never fatal.
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

    /**
     * Reads backwards from the end of the file, so that the controller's reads (the latest round,
     * once a minute) cost the same however long the history has grown.
     */
    @Override
    public synchronized List<RoundRecord> last(int limit) {
        Deque<String> lines = new ArrayDeque<>();
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "r")) {
            long end = f.length();
            ByteArrayOutputStream line = new ByteArrayOutputStream();
            byte[] chunk = new byte[64 * 1024];
            long pos = end;
            while (pos > 0 && lines.size() < limit) {
                int n = (int) Math.min(chunk.length, pos);
                pos -= n;
                f.seek(pos);
                f.readFully(chunk, 0, n);
                for (int i = n - 1; i >= 0 && lines.size() < limit; i--) {
                    if (chunk[i] == '\n') {
                        addLine(lines, line);
                    } else {
                        line.write(chunk[i]);
                    }
                }
            }
            if (pos == 0 && lines.size() < limit) {
                addLine(lines, line);
            }
        } catch (FileNotFoundException e) {
            return List.of();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read history " + file + ": " + e.getMessage(), e);
        }
        List<RoundRecord> out = new ArrayList<>(lines.size());
        for (String text : lines) {
            try {
                out.add(json.readValue(text, RoundRecord.class));
            } catch (IOException e) {
                // A line cut short by a crash: the rounds around it still count.
            }
        }
        return out;
    }

    /** LINE holds one line's bytes in reverse; put it, the right way round, before the lines already read. */
    private static void addLine(Deque<String> lines, ByteArrayOutputStream line) {
        byte[] reversed = line.toByteArray();
        line.reset();
        if (reversed.length == 0) {
            return;
        }
        for (int i = 0, j = reversed.length - 1; i < j; i++, j--) {
            byte t = reversed[i];
            reversed[i] = reversed[j];
            reversed[j] = t;
        }
        String text = new String(reversed, StandardCharsets.UTF_8);
        if (!text.isBlank()) {
            lines.addFirst(text);
        }
    }
}
