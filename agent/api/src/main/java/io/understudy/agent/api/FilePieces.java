package io.understudy.agent.api;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.http.HttpRequest;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Iterator;
import java.util.NoSuchElementException;

/**
 * A file as a request body in pieces of {@link #PIECE} bytes. The JDK's own file publisher reads
 * 16 KiB at a time ({@code jdk.httpclient.bufsize}), and at that size the cost per piece, not
 * the loopback, held a secondary receiving a delta to about 130 MB/s ({@code bench replication}
 * on tmpfs, with the server's reads below). 256 KiB measured best: 188-190 MB/s, against
 * 166-175 with 128 KiB and 161-170 with 1 MiB, whose arrays G1 allocates as humongous objects.
 * Each piece opens the file and reads at its offset, so a request given up half-way leaves no
 * file open.
 */
final class FilePieces implements Iterator<byte[]> {

    static final int PIECE = 1 << 18;

    private final Path file;
    private final long size;
    private long position;

    private FilePieces(Path file, long size) {
        this.file = file;
        this.size = size;
    }

    /** The body: FILE's bytes with its length, read as the request is sent. */
    static HttpRequest.BodyPublisher body(Path file) throws IOException {
        long size = Files.size(file);
        if (size == 0) {
            throw new IOException(file + " is empty: no delta to send");
        }
        return HttpRequest.BodyPublishers.fromPublisher(
                HttpRequest.BodyPublishers.ofByteArrays(() -> new FilePieces(file, size)), size);
    }

    @Override
    public boolean hasNext() {
        return position < size;
    }

    @Override
    public byte[] next() {
        if (!hasNext()) {
            throw new NoSuchElementException(file + ": all " + size + " bytes were read");
        }
        ByteBuffer piece = ByteBuffer.allocate((int) Math.min(PIECE, size - position));
        try (FileChannel in = FileChannel.open(file, StandardOpenOption.READ)) {
            while (piece.hasRemaining()) {
                if (in.read(piece, position + piece.position()) < 0) {
                    throw new IOException(file + " ended at byte " + (position + piece.position()) + " of "
                            + size + ": it changed while being sent");
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        position += piece.capacity();
        return piece.array();
    }
}
