package io.understudy.scheduler.moves;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.understudy.scheduler.history.JsonLinesHistory;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.UUID;

/**
 * The journal as JSON files: an open move is {@code DIR/VM.json}, rewritten whole at each step
 * (written aside, fsynced, renamed over); an ended one moves to {@code DIR/ended/VM-START.json}.
 * Creating the open file is the claim on the VM: the link fails when another process (the
 * controller, the command line) holds an open move of it. A file that cannot be read is reported,
 * never skipped: it may be a move in flight.
 */
public final class FileJournal implements Journal {

    private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss.SSS'Z'")
            .withZone(java.time.ZoneOffset.UTC);

    private final Path dir;
    private final ObjectMapper json = JsonLinesHistory.mapper();

    public FileJournal(Path dir) {
        this.dir = requireNonNull(dir, "dir is null");
    }

    @Override
    public synchronized void begin(MoveState move) {
        Path open = file(move.plan().vm());
        try {
            Path temp = write(move);
            try {
                Files.createLink(open, temp);
            } catch (FileAlreadyExistsException e) {
                throw new MoveConflictException(read(open).holdReason());
            } finally {
                Files.deleteIfExists(temp);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("move journal " + open + ": " + e.getMessage(), e);
        }
    }

    @Override
    public synchronized void save(MoveState move) {
        Path open = file(move.plan().vm());
        try {
            Path temp = write(move);
            if (move.status().open()) {
                Files.move(temp, open, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                return;
            }
            Files.move(temp, ended(move), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            Files.deleteIfExists(open);
        } catch (IOException e) {
            throw new UncheckedIOException("move journal " + open + ": " + e.getMessage(), e);
        }
    }

    @Override
    public synchronized List<MoveState> open() {
        List<MoveState> moves = new ArrayList<>();
        if (!Files.isDirectory(dir)) {
            return moves;
        }
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "*.json")) {
            files.forEach(f -> moves.add(read(f)));
        } catch (IOException e) {
            throw new UncheckedIOException("move journal " + dir + ": " + e.getMessage(), e);
        }
        moves.sort(Comparator.comparing(MoveState::startedAt));
        return moves;
    }

    @Override
    public synchronized boolean close(UUID vm) {
        Path open = file(vm);
        if (!Files.exists(open)) {
            return false;
        }
        MoveState move = read(open);
        try {
            Files.createDirectories(dir.resolve("ended"));
            Files.move(open, ended(move), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            return true;
        } catch (IOException e) {
            throw new UncheckedIOException("move journal " + open + ": " + e.getMessage(), e);
        }
    }

    private Path file(UUID vm) {
        return dir.resolve(vm + ".json");
    }

    private Path ended(MoveState move) {
        return dir.resolve("ended").resolve(move.plan().vm() + "-" + STAMP.format(move.startedAt()) + ".json");
    }

    /** Writes MOVE to a fresh file beside its place, fsynced: renaming it in is then atomic and durable. */
    private Path write(MoveState move) throws IOException {
        Files.createDirectories(dir.resolve("ended"));
        Path temp = Files.createTempFile(dir, move.plan().vm() + "-", ".partial");
        // A stream, not a channel: a thread interrupted while stopping (a controller shutting down)
        // must still record where its move stands, and an interrupt closes a channel mid-write.
        try (FileOutputStream out = new FileOutputStream(temp.toFile())) {
            out.write(json.writerWithDefaultPrettyPrinter().writeValueAsBytes(move));
            out.getFD().sync();
        }
        return temp;
    }

    private MoveState read(Path file) {
        try {
            return json.readValue(file.toFile(), MoveState.class);
        } catch (IOException e) {
            throw new UncheckedIOException("move journal " + file + " cannot be read: " + e.getMessage(), e);
        }
    }
}
