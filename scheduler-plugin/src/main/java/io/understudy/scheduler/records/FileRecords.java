package io.understudy.scheduler.records;

import static java.util.Objects.requireNonNull;

import java.io.FileOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import java.util.concurrent.Executors;

/**
 * Records as files, {@code ROOT/KIND/NAME.json}: written aside, fsynced, then renamed in (or
 * linked in, for {@link #create}, which fails when the name exists), so that a reader in any
 * process finds a whole record or none. For one controller and the command line beside it.
 * A record's version is a digest of its content; {@link #compareAndSet} holds an exclusive lock
 * on {@code ROOT/KIND/.lock} (released by the system when a process dies) while it compares.
 */
public final class FileRecords implements Records {

    private static final String SUFFIX = ".json";
    private static final String LOCK = ".lock";

    private final Path root;
    /**
     * Where the writes of one compare-and-set run together. Not the caller's thread: an interrupt
     * of a controller stopping must not stop the record of where its move stands.
     */
    private final Executor writers = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "records-write");
        t.setDaemon(true);
        return t;
    });

    public FileRecords(Path root) {
        this.root = requireNonNull(root, "root is null");
        // The digest's provider loads on first use: at start, not in the first claim of a move.
        version(new byte[0]);
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
    public SortedMap<String, Long> versions(String kind) {
        SortedMap<String, Long> versions = new TreeMap<>();
        all(kind).forEach((name, body) -> versions.put(name, version(body)));
        return versions;
    }

    @Override
    public synchronized OptionalLong compareAndSet(String kind, String name, long version, byte[] body,
            List<Write> with) {
        Path lock = file(kind, name).resolveSibling(LOCK);
        try {
            Files.createDirectories(dir(kind));
            try (FileChannel channel = FileChannel.open(lock, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
                    FileLock held = channel.tryLock()) {
                // Another process claiming at this moment: it claims, not this one.
                if (held == null) {
                    return OptionalLong.empty();
                }
                if (get(kind, name).map(FileRecords::version).orElse(0L) != version) {
                    return OptionalLong.empty();
                }
                List<Write> writes = new ArrayList<>(with);
                // The compared record last: a crash before it leaves the claim as it was.
                writes.add(new Write(kind, name, body));
                putAll(writes);
                return OptionalLong.of(version(body));
            } catch (OverlappingFileLockException e) {
                // Another records of this directory in this process, claiming at this moment.
                return OptionalLong.empty();
            }
        } catch (IOException e) {
            throw failure(lock, e);
        }
    }

    /** A digest of BODY as the record's version: a rewrite with other content changes it. */
    private static long version(byte[] body) {
        try {
            long v = ByteBuffer.wrap(MessageDigest.getInstance("SHA-256").digest(body)).getLong();
            return v == 0 ? 1 : v;
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
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

    /**
     * Each of WRITES written aside at once, then renamed in, in order: their fsyncs run together,
     * which the file system serves with one commit of its journal rather than one each.
     */
    private void putAll(List<Write> writes) throws IOException {
        List<CompletableFuture<Path>> aside = writes.stream().map(w -> CompletableFuture.supplyAsync(() -> {
            try {
                return write(w.kind(), w.name(), w.body());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }, writers)).toList();
        List<Path> temps = new ArrayList<>();
        IOException failed = null;
        for (CompletableFuture<Path> f : aside) {
            try {
                temps.add(f.join());
            } catch (CompletionException e) {
                if (!(e.getCause() instanceof UncheckedIOException u)) {
                    throw e;
                }
                failed = failed == null ? u.getCause() : failed;
            }
        }
        if (failed != null) {
            for (Path temp : temps) {
                Files.deleteIfExists(temp);
            }
            throw failed;
        }
        for (int i = 0; i < writes.size(); i++) {
            Files.move(temps.get(i), file(writes.get(i).kind(), writes.get(i).name()), StandardCopyOption.ATOMIC_MOVE,
                    StandardCopyOption.REPLACE_EXISTING);
        }
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
