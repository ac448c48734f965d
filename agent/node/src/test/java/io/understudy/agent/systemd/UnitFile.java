package io.understudy.agent.systemd;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A systemd unit file's settings as systemd reads them, as far as the tests use them: a key set
 * again adds to its values, set empty clears them. Continued lines are refused rather than
 * misread.
 */
final class UnitFile {

    private final Path file;
    private final Map<String, List<String>> values;

    private UnitFile(Path file, Map<String, List<String>> values) {
        this.file = file;
        this.values = values;
    }

    static UnitFile read(Path file) throws IOException {
        Map<String, List<String>> values = new LinkedHashMap<>();
        String section = "";
        for (String raw : Files.readAllLines(file)) {
            String line = raw.strip();
            if (line.isEmpty() || line.startsWith("#") || line.startsWith(";")) {
                continue;
            }
            if (line.endsWith("\\")) {
                throw new IllegalArgumentException(file + ": a continued line is not read here: " + line);
            }
            if (line.startsWith("[") && line.endsWith("]")) {
                section = line.substring(1, line.length() - 1);
                continue;
            }
            int eq = line.indexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException(file + ": not KEY=VALUE: " + line);
            }
            List<String> list = values.computeIfAbsent(section + "." + line.substring(0, eq).strip(),
                    k -> new ArrayList<>());
            String value = line.substring(eq + 1).strip();
            if (value.isEmpty()) {
                list.clear();
            } else {
                list.add(value);
            }
        }
        return new UnitFile(file, values);
    }

    /** Every value of {@code key} ("Service.ExecStart"), in order. */
    List<String> all(String key) {
        return values.getOrDefault(key, List.of());
    }

    /** The value of a key that may be set once, or {@code dflt}. */
    String one(String key, String dflt) {
        List<String> all = all(key);
        if (all.size() > 1) {
            throw new IllegalArgumentException(file + ": " + key + " is set " + all.size() + " times");
        }
        return all.isEmpty() ? dflt : all.get(0);
    }

    /** Every value of {@code key}, split into words. */
    List<String> words(String key) {
        return all(key).stream().flatMap(v -> Arrays.stream(v.split("\\s+"))).toList();
    }

    /** A capability list ({@code CAP_CHOWN CAP_FOWNER}) as setpriv names them ({@code chown, fowner}). */
    List<String> capabilities(String key) {
        List<String> caps = words(key);
        for (String cap : caps) {
            if (!cap.startsWith("CAP_")) {
                throw new IllegalArgumentException(file + ": " + key + " lists " + cap + " (only CAP_* names are read here)");
            }
        }
        return caps.stream().map(c -> c.substring(4).toLowerCase(Locale.ROOT)).toList();
    }

    boolean yes(String key) {
        return List.of("yes", "true", "on", "1").contains(one(key, "no"));
    }
}
