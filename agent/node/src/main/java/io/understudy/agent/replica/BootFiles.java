package io.understudy.agent.replica;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.understudy.agent.api.BootImages;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The kernel and ramdisk Nova boots an instance with, when its image has them: what a secondary
 * keeps beside its replica and where staging puts them. Nova's libvirt driver, before it boots an
 * evacuated instance, looks for each in its image cache as {@code _base/SHA1(image id)} and
 * fetches it from Glance when it is not there, even when the instance directory holds a copy
 * already; found there, it copies it into the instance directory, asks {@code qemu-img} its format
 * and updates the cache entry's time through its privsep daemon. So the cache entry is what spares
 * the fetch, and copies in the instance directory, with {@code disk.info} naming their format,
 * spare the rest.
 */
public final class BootFiles {

    /** The two files, named as Nova names them in an instance directory: fixed names, never a client's. */
    public enum Kind {
        KERNEL, RAMDISK;

        public String fileName() {
            return name().toLowerCase(Locale.ROOT);
        }

        public static Optional<Kind> named(String name) {
            for (Kind k : values()) {
                if (k.fileName().equals(name)) {
                    return Optional.of(k);
                }
            }
            return Optional.empty();
        }
    }

    /**
     * Nova's record of its instance directory's file formats ({@code imagebackend.Image
     * .resolve_driver_format}): one JSON object, each file's absolute path to its format.
     */
    public static final String DISK_INFO = "disk.info";

    /** The files IMAGES names (an image id given), kernel first. */
    public static List<Kind> named(BootImages images) {
        List<Kind> out = new ArrayList<>();
        if (images.kernel() != null && !images.kernel().isEmpty()) {
            out.add(Kind.KERNEL);
        }
        if (images.ramdisk() != null && !images.ramdisk().isEmpty()) {
            out.add(Kind.RAMDISK);
        }
        return out;
    }

    /** {@code disk.info} as Nova writes it, for KINDS in INSTANCE: raw files, as Nova keeps a kernel and ramdisk. */
    public static String diskInfo(Path instance, List<Kind> kinds) {
        ObjectNode formats = JSON.createObjectNode();
        for (Kind k : kinds) {
            formats.put(instance.resolve(k.fileName()).toAbsolutePath().toString(), "raw");
        }
        return formats.toString() + "\n";
    }

    /** Staging puts the kept copy of {@code kind} into Nova's image cache as {@code cacheName}. */
    public record Placement(Kind kind, String cacheName) {}

    /** A kernel or an initramfs is megabytes; more than this is not one, and is refused (413). */
    public static final long MAX_BYTES = 256L << 20;

    /** A Glance image id (a UUID); anything else never reaches the cache, even hashed. */
    private static final Pattern IMAGE_ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,254}");
    private static final ObjectMapper JSON = new ObjectMapper();

    private BootFiles() {}

    /** Nova's name for an image in its cache ({@code imagecache.get_cache_fname}): the hex SHA-1 of the id. */
    public static String cacheName(String imageId) {
        try {
            byte[] sha1 = MessageDigest.getInstance("SHA-1").digest(imageId.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(sha1);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-1", e);
        }
    }

    /** Why {@code images} cannot be placed, if so: an id that is not a Glance image id. */
    public static Optional<String> invalid(BootImages images) {
        for (String id : new String[] {images.kernel(), images.ramdisk()}) {
            if (id != null && !IMAGE_ID.matcher(id).matches()) {
                return Optional.of("image id '" + id + "' is not a Glance image id (letters, digits, . _ -)");
            }
        }
        return Optional.empty();
    }

    /**
     * What staging puts into the image cache: each file the instance boots with (an image id
     * given) that this node keeps ({@code held}) and the cache lacks ({@code cached}: the names
     * there). One the cache has is Nova's own, from Glance: left as it is.
     */
    public static List<Placement> placements(BootImages images, Set<Kind> held, Set<String> cached) {
        List<Placement> out = new ArrayList<>();
        add(out, Kind.KERNEL, images.kernel(), held, cached);
        add(out, Kind.RAMDISK, images.ramdisk(), held, cached);
        return out;
    }

    private static void add(List<Placement> out, Kind kind, String id, Set<Kind> held, Set<String> cached) {
        if (id == null || id.isEmpty() || !held.contains(kind)) {
            return;
        }
        String name = cacheName(id);
        if (!cached.contains(name)) {
            out.add(new Placement(kind, name));
        }
    }
}
