package io.understudy.agent.qcow2;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * An image and its backing files, top first, read as the guest sees it. Unallocated bytes come
 * from the layer below; past the end of a shorter backing file, and below the last layer, they
 * read as zeros.
 */
public final class BackingChain implements Closeable {

    /** Nova's chains are two or three deep; replica chains are squashed long before this. */
    public static final int MAX_DEPTH = 64;

    private static final byte[] ZEROS = new byte[1 << 16];

    private final List<DiskImage> layers;
    private final boolean owner;

    private BackingChain(List<DiskImage> layers, boolean owner) {
        this.layers = List.copyOf(layers);
        this.owner = owner;
    }

    /**
     * Opens {@code top} (qcow2 or raw, by its first bytes) and every backing file it names.
     * Refuses loops, chains deeper than {@link #MAX_DEPTH}, protocols and formats other than
     * qcow2 and raw.
     */
    public static BackingChain open(Path top) throws IOException {
        List<DiskImage> layers = new ArrayList<>();
        try {
            Set<Object> seen = new HashSet<>();
            Path path = top;
            String format = null;
            Path referrer = null;
            while (true) {
                Object key = fileKey(path, referrer);
                if (!seen.add(key)) {
                    throw new BadImageException(top, "backing chain loops back to " + path);
                }
                if (layers.size() == MAX_DEPTH) {
                    throw new BadImageException(top, "backing chain deeper than " + MAX_DEPTH + " layers");
                }
                DiskImage image = openLayer(path, format, referrer);
                layers.add(image);
                if (image.backingFile().isEmpty()) {
                    break;
                }
                String name = image.backingFile().get();
                if (name.startsWith("json:") || name.contains("://")) {
                    throw new BadImageException(path, "backing file '" + name + "' uses a protocol: not supported");
                }
                format = image.backingFormat().orElse(null);
                if (format != null && !format.equals("qcow2") && !format.equals("raw")) {
                    throw new BadImageException(path, "backing format '" + format + "' is not supported (qcow2 or raw)");
                }
                Path next;
                try {
                    next = Path.of(name);
                } catch (InvalidPathException e) {
                    // e.g. a NUL byte in the name: no file can have it, so the chain is broken
                    throw new BadImageException(path, "backing file name '" + name + "' is not a valid path: "
                            + e.getReason());
                }
                if (!next.isAbsolute()) {
                    Path dir = path.toAbsolutePath().getParent();
                    next = dir == null ? next : dir.resolve(next);
                }
                referrer = path;
                path = next;
            }
            return new BackingChain(layers, true);
        } catch (IOException | RuntimeException e) {
            for (DiskImage image : layers) {
                image.close();
            }
            throw e;
        }
    }

    private static Object fileKey(Path path, Path referrer) throws IOException {
        BasicFileAttributes attrs;
        try {
            attrs = Files.readAttributes(path, BasicFileAttributes.class);
        } catch (NoSuchFileException e) {
            if (referrer != null) {
                throw new BadImageException(referrer, "backing file " + path + " does not exist");
            }
            throw new BadImageException(path, "no such file");
        }
        if (!attrs.isRegularFile()) {
            // Name the image that points here too: the operator asked about that one.
            throw referrer != null
                    ? new BadImageException(referrer, "backing file " + path + " is not a regular file")
                    : new BadImageException(path, "not a regular file");
        }
        Object key = attrs.fileKey();
        return key != null ? key : path.toRealPath();
    }

    private static DiskImage openLayer(Path path, String format, Path referrer) throws IOException {
        String actual = format != null ? format : probe(path, referrer);
        return actual.equals("qcow2") ? Qcow2Image.open(path) : RawImage.open(path);
    }

    /** qcow2 by its magic, raw otherwise; other formats' magics are refused rather than read as raw. */
    private static String probe(Path path, Path referrer) throws IOException {
        ByteBuffer head = ByteBuffer.allocate(8);
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            Qcow2Image.readFully(ch, head, 0);
        }
        head.flip();
        if (head.getInt(0) == Header.MAGIC) {
            return "qcow2";
        }
        String magic = new String(head.array(), StandardCharsets.ISO_8859_1);
        String other = magic.startsWith("QED\0") ? "qed"
                : magic.startsWith("KDMV") ? "vmdk"
                : magic.startsWith("vhdxfile") ? "vhdx"
                : magic.startsWith("LUKS\u00ba\u00be") ? "luks"
                : magic.startsWith("conectix") ? "vpc"
                : null;
        if (other != null) {
            throw referrer != null
                    ? new BadImageException(referrer, "backing file " + path + " is a " + other
                            + " image: only qcow2 and raw are supported")
                    : new BadImageException(path, "is a " + other + " image: only qcow2 and raw are supported");
        }
        return "raw";
    }

    public List<DiskImage> layers() {
        return layers;
    }

    public DiskImage top() {
        return layers.get(0);
    }

    public long virtualSize() {
        return top().virtualSize();
    }

    /** The cluster size of the top layer; raw files have none, and get QEMU's default of 64 KiB. */
    public int clusterSize() {
        return top() instanceof Qcow2Image q ? q.header().clusterSize() : 1 << 16;
    }

    /** The depth at which {@code file} sits in this chain, or -1. */
    public int depthOf(Path file) throws IOException {
        for (int i = 0; i < layers.size(); i++) {
            if (Files.isSameFile(layers.get(i).path(), file)) {
                return i;
            }
        }
        return -1;
    }

    /** The chain from {@code depth} down, as its own chain; closing it closes nothing. */
    public BackingChain from(int depth) {
        return new BackingChain(layers.subList(depth, layers.size()), false);
    }

    /**
     * The guest-visible state at {@code offset} over at most {@code maxBytes}, with the depth that
     * answers for it, as {@code qemu-img map} computes it.
     */
    public MapEntry resolve(long offset, long maxBytes) throws IOException {
        long bytes = Math.min(maxBytes, virtualSize() - offset);
        int depth = 0;
        while (true) {
            DiskImage layer = layers.get(depth);
            Extent e = layer.status(offset, bytes);
            bytes = e.length();
            if (e.present()) {
                return new MapEntry(offset, bytes, depth, true, e.zero(), e.data(), e.hostOffset());
            }
            boolean last = depth + 1 == layers.size();
            if (last || offset >= layers.get(depth + 1).virtualSize()) {
                return new MapEntry(offset, bytes, depth, false, true, false, e.hostOffset());
            }
            bytes = Math.min(bytes, layers.get(depth + 1).virtualSize() - offset);
            depth++;
        }
    }

    /** Reads guest bytes {@code [offset, offset + dst.remaining())}. */
    public void read(long offset, ByteBuffer dst) throws IOException {
        readAt(0, offset, dst);
    }

    private void readAt(int depth, long offset, ByteBuffer dst) throws IOException {
        DiskImage layer = layers.get(depth);
        long pos = offset;
        while (dst.hasRemaining()) {
            if (pos >= layer.virtualSize()) {
                fillZeros(dst);
                return;
            }
            Extent e = layer.status(pos, Math.min(dst.remaining(), layer.virtualSize() - pos));
            int n = (int) e.length();
            ByteBuffer part = dst.slice(dst.position(), n);
            if (e.data()) {
                layer.readData(pos, part);
            } else if (e.zero() || depth + 1 == layers.size()) {
                fillZeros(part);
            } else {
                readAt(depth + 1, pos, part);
            }
            dst.position(dst.position() + n);
            pos += n;
        }
    }

    static void fillZeros(ByteBuffer dst) {
        while (dst.hasRemaining()) {
            dst.put(ZEROS, 0, Math.min(ZEROS.length, dst.remaining()));
        }
    }

    @Override
    public void close() throws IOException {
        if (!owner) {
            return;
        }
        IOException failure = null;
        for (DiskImage image : layers) {
            try {
                image.close();
            } catch (IOException e) {
                failure = e;
            }
        }
        if (failure != null) {
            throw failure;
        }
    }
}
