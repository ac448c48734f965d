package io.understudy.scheduler.records;

import static java.util.Objects.requireNonNull;

import java.io.FileOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * Records as files, {@code ROOT/KIND/NAME.json}: written aside, fsynced, then renamed in (or
 * linked in, for {@link #create}, which fails when the name exists), so that a reader in any
 * process finds a whole record or none. For one controller and the command line beside it.
 */
public final class FileRecords implements Records {

    private static final String SUFFIX = ".json";

    private final Path root;

    public FileRecords(Path root) {
        this.root = requireNonNull(root, "root is null");
    }

    @Override
    public boolean create(String kind, String name, byte[] body) {
        Path file = file(kind, name);
        try {
            Path temp = write(kind, name, body);
            try {
                Files.createLink(file, temp);
                return true;
            } catch (FileAlreadyExistsException e) {
                return false;
            } finally {
                Files.deleteIfExists(temp);
            }
        } catch (IOException e) {
            throw failure(file, e);
        }
    }

    @Override
    public void put(String kind, String name, byte[] body) {
        Path file = file(kind, name);
        try {
            Files.move(write(kind, name, body), file, StandardCopyOption.ATOMIC_MOVE,
                    StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw failure(file, e);
        }
    }

    @Override
    public Optional<byte[]> get(String kind, String name) {
        Path file = file(kind, name);
        try {
            return Optional.of(Files.readAllBytes(file));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            throw failure(file, e);
        }
    }

    @Override
    public SortedMap<String, byte[]> all(String kind) {
        Path dir = dir(kind);
        SortedMap<String, byte[]> records = new TreeMap<>();
        if (!Files.isDirectory(dir)) {
            return records;
        }
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "*" + SUFFIX)) {
            for (Path f : files) {
                String name = f.getFileName().toString();
                try {
                    records.put(name.substring(0, name.length() - SUFFIX.length()), Files.readAllBytes(f));
                } catch (NoSuchFileException e) {
                    // Deleted since the listing: no longer a record.
                }
            }
        } catch (IOException e) {
            throw failure(dir, e);
        }
        return records;
    }

    @Override
    public boolean delete(String kind, String name) {
        Path file = file(kind, name);
        try {
            return Files.deleteIfExists(file);
        } catch (IOException e) {
            throw failure(file, e);
        }
    }

    @Override
    public String where(String kind, String name) {
        return file(kind, name).toString();
    }

    private Path dir(String kind) {
        return root.resolve(kind);
    }

    private Path file(String kind, String name) {
        return dir(kind).resolve(Records.checkName(name) + SUFFIX);
    }

    /** BODY in a fresh fsynced file beside its place: renaming or linking it in is then atomic and durable. */
    private Path write(String kind, String name, byte[] body) throws IOException {
        Path dir = Files.createDirectories(dir(kind));
        Path temp = Files.createTempFile(dir, name + "-", ".partial");
        // A stream, not a channel: a thread interrupted while stopping (a controller shutting down)
        // must still record where its move stands, and an interrupt closes a channel mid-write.
        try (FileOutputStream out = new FileOutputStream(temp.toFile())) {
            out.write(body);
            out.getFD().sync();
        }
        return temp;
    }

    private static UncheckedIOException failure(Path where, IOException e) {
        return new UncheckedIOException(where + ": " + e.getMessage(), e);
    }
}
