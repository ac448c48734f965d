package io.understudy.scheduler.moves;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.understudy.scheduler.history.JsonLinesHistory;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * Operators' confirmations that a host is fenced ({@code understudy fence confirm HOST}): they
 * powered it off by hand when no fencer could. One file per host, {@code DIR/HOST.json}, written
 * aside, fsynced and renamed in, so that the controller reads a whole one or none. A confirmation
 * is the proof for failovers from that host for {@code validFor} after it was given; {@link Fencers}
 * withdraws it sooner, as soon as the host's agent answers again (the host came back).
 */
public final class FenceConfirmations {

    /**
     * @param by who confirmed (the operator's login)
     * @param note what they said they did, if anything
     */
    public record Confirmation(String host, Instant at, String by, String note) {
        public Confirmation {
            requireNonNull(host, "host is null");
            requireNonNull(at, "at is null");
            requireNonNull(by, "by is null");
            requireNonNull(note, "note is null");
        }
    }

    private final Path dir;
    private final Duration validFor;
    private final ObjectMapper json = JsonLinesHistory.mapper();

    public FenceConfirmations(Path dir, Duration validFor) {
        this.dir = requireNonNull(dir, "dir is null");
        this.validFor = requireNonNull(validFor, "validFor is null");
    }

    public Duration validFor() {
        return validFor;
    }

    /** Records CONFIRMATION, replacing an earlier one of its host; returns the file. */
    public synchronized Path record(Confirmation confirmation) {
        Path file = file(confirmation.host());
        try {
            return HostFiles.write(json, dir, confirmation.host(), confirmation);
        } catch (IOException e) {
            throw new UncheckedIOException("fence confirmation " + file + ": " + e.getMessage(), e);
        }
    }

    /** HOST's confirmation, if one was given less than {@code validFor} before NOW. */
    public synchronized Optional<Confirmation> current(String host, Instant now) {
        Path file = file(host);
        if (!Files.exists(file)) {
            return Optional.empty();
        }
        Confirmation c;
        try {
            c = json.readValue(file.toFile(), Confirmation.class);
        } catch (IOException e) {
            throw new UncheckedIOException("fence confirmation " + file + " cannot be read: " + e.getMessage(), e);
        }
        return now.isBefore(c.at().plus(validFor)) && !now.isBefore(c.at()) ? Optional.of(c) : Optional.empty();
    }

    /** Forgets HOST's confirmation; returns whether there was one. */
    public synchronized boolean withdraw(String host) {
        try {
            return Files.deleteIfExists(file(host));
        } catch (IOException e) {
            throw new UncheckedIOException("fence confirmation " + file(host) + ": " + e.getMessage(), e);
        }
    }

    private Path file(String host) {
        return HostFiles.file(dir, host);
    }
}
