package io.understudy.scheduler.moves;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.FileOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * One JSON file per compute host in a directory, written aside, fsynced and renamed in, so that a
 * reader (another process too) finds a whole one or none: operators' fence confirmations, the
 * hosts failovers forced down.
 */
final class HostFiles {

    private HostFiles() {
    }

    /** {@code DIR/HOST.json}; HOST must be a plain name, not a path. */
    static Path file(Path dir, String host) {
        if (host.isBlank() || host.contains("/") || host.startsWith(".")) {
            throw new IllegalArgumentException("host '" + host + "' is not a compute host name");
        }
        return dir.resolve(host + ".json");
    }

    /** Replaces HOST's file in DIR by VALUE as pretty JSON; returns the file. */
    static Path write(ObjectMapper json, Path dir, String host, Object value) throws IOException {
        Path file = file(dir, host);
        Files.createDirectories(dir);
        Path temp = Files.createTempFile(dir, host + "-", ".partial");
        try (FileOutputStream out = new FileOutputStream(temp.toFile())) {
            out.write(json.writerWithDefaultPrettyPrinter().writeValueAsBytes(value));
            out.getFD().sync();
        }
        Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        return file;
    }
}
