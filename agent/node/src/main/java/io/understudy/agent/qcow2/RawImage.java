package io.understudy.agent.qcow2;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/** A raw file read as a disk: guest offset = file offset, holes read as zeros. */
public final class RawImage implements DiskImage {

    private final Path path;
    private final FileChannel channel;
    private final long size;
    private final FileHoles holes;

    private RawImage(Path path, FileChannel channel, long size, FileHoles holes) {
        this.path = path;
        this.channel = channel;
        this.size = size;
        this.holes = holes;
    }

    public static RawImage open(Path path) throws IOException {
        FileChannel channel = FileChannel.open(path, StandardOpenOption.READ);
        return new RawImage(path, channel, channel.size(), FileHoles.open(path));
    }

    @Override
    public Path path() {
        return path;
    }

    @Override
    public String format() {
        return "raw";
    }

    @Override
    public long virtualSize() {
        return size;
    }

    @Override
    public Extent status(long offset, long maxBytes) {
        if (offset < 0 || maxBytes <= 0 || offset >= size) {
            throw new IllegalArgumentException("status(" + offset + ", " + maxBytes + ") outside " + size);
        }
        if (holes == null) {
            return new Extent(Math.min(maxBytes, size - offset), true, false, offset);
        }
        FileHoles.Run run = holes.run(offset, maxBytes, size);
        return new Extent(run.length(), !run.hole(), run.hole(), offset);
    }

    @Override
    public void readData(long offset, ByteBuffer dst) throws IOException {
        Qcow2Image.readFully(channel, dst, offset);
    }

    @Override
    public void close() throws IOException {
        if (holes != null) {
            holes.close();
        }
        channel.close();
    }
}
