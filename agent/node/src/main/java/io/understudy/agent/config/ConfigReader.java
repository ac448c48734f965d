package io.understudy.agent.config;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.MissingNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.understudy.agent.config.AgentConfig.Auth;
import io.understudy.agent.config.AgentConfig.AuthMode;
import io.understudy.agent.config.AgentConfig.Replication;
import io.understudy.agent.config.AgentConfig.Tls;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads the agent's YAML configuration into an {@link AgentConfig}: every key typed, defaults
 * filled in, unknown keys (typos) refused, files it names checked to exist. Errors name the file,
 * the key and what was wrong, in one line.
 */
public final class ConfigReader {

    public static final String DEFAULT_LISTEN = "0.0.0.0:9797";
    public static final Path DEFAULT_DATA_DIR = Path.of("/var/lib/understudy/agent");
    public static final Path DEFAULT_INSTANCES_PATH = Path.of("/var/lib/nova/instances");
    /** Nova's {@code [image_cache] subdirectory_name} default, under the instances path. */
    public static final String NOVA_BASE_FOLDER = "_base";
    /** Nova's default {@code [libvirt] snapshots_directory}, under the instances path. */
    private static final String NOVA_SNAPSHOTS_FOLDER = "snapshots";
    public static final String DEFAULT_LIBVIRT_URI = "qemu:///system";
    public static final Duration DEFAULT_LIBVIRT_RECONNECT_MAX = Duration.ofSeconds(10);
    /** Below the first delay (0.5 s) nothing doubles; above 5 minutes a daemon that is back goes unseen too long. */
    private static final Duration MIN_LIBVIRT_RECONNECT_MAX = Duration.ofMillis(500);
    private static final Duration MAX_LIBVIRT_RECONNECT_MAX = Duration.ofMinutes(5);
    public static final AuthMode DEFAULT_AUTH_MODE = AuthMode.MTLS;
    public static final Path DEFAULT_TOKEN_FILE = Path.of("/etc/understudy/cluster.token");
    public static final Path DEFAULT_TLS_DIR = Path.of("/etc/understudy/tls");
    public static final int DEFAULT_SQUASH_ABOVE = 8;
    public static final long DEFAULT_MAX_JSON_BYTES = 64 * 1024;
    public static final Duration DEFAULT_PEER_TIMEOUT = Duration.ofSeconds(10);
    public static final Duration DEFAULT_BODY_TIMEOUT = Duration.ofSeconds(30);
    public static final long DEFAULT_MAX_DISK_BYTES = 16L << 40;

    private static final Map<String, Set<String>> KEYS = Map.of(
            "", Set.of("host", "listen", "dataDir", "instancesPath", "baseImagesPath", "snapshotsPath", "libvirt", "auth", "replication"),
            "libvirt", Set.of("uri", "reconnectMaxDelay"),
            "auth", Set.of("mode", "tokenFile", "tls"),
            "auth.tls", Set.of("certificate", "key", "ca"),
            "replication", Set.of("squashAbove", "maxJsonBytes", "peerTimeout", "bodyTimeout", "maxDiskBytes"));
    private static final Pattern HOST = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,252}");
    private static final Pattern DURATION = Pattern.compile("(\\d+)\\s*(ms|s|m|h)");
    private static final Pattern SIZE = Pattern.compile("(\\d{1,15})\\s*(B|KiB|MiB|GiB|TiB)?");

    private final String source;
    private final List<String> errors = new ArrayList<>();
    /** Where each section sits, to name nested keys in errors. */
    private final Map<JsonNode, String> sections = new IdentityHashMap<>();

    private ConfigReader(String source) {
        this.source = source;
    }

    /** Reads and validates {@code file}; throws {@link ConfigException} naming the first problem. */
    public static AgentConfig read(Path file) throws IOException {
        String text;
        try {
            text = Files.readString(file);
        } catch (NoSuchFileException e) {
            throw new ConfigException(file + ": no such file");
        }
        return parse(text, file.toString());
    }

    public static AgentConfig parse(String yaml, String source) {
        JsonNode root;
        try {
            root = new ObjectMapper(new YAMLFactory()).readTree(yaml);
        } catch (JsonProcessingException e) {
            throw new ConfigException(source + ": not valid YAML: " + e.getOriginalMessage().replaceAll("\\s*\\R\\s*", " ")
                    + (e.getLocation() != null ? " (line " + e.getLocation().getLineNr() + ")" : ""));
        }
        if (root == null || root.isMissingNode() || root.isNull()) {
            root = MissingNode.getInstance();
        } else if (!root.isObject()) {
            throw new ConfigException(source + ": the configuration must be a mapping of keys");
        }
        return new ConfigReader(source).build(root);
    }

    private AgentConfig build(JsonNode root) {
        checkKeys(root, "");
        String host = text(root, "host", null);
        if (host == null) {
            fail("host", "is required (the Nova compute host name this agent speaks for)");
        } else if (!HOST.matcher(host).matches()) {
            fail("host", "'" + host + "' is not a host name");
        }
        InetSocketAddress listen = address(root, "listen");
        Path dataDir = path(root, "dataDir", DEFAULT_DATA_DIR);
        Path instancesPath = path(root, "instancesPath", DEFAULT_INSTANCES_PATH);
        Path baseImagesPath = path(root, "baseImagesPath", instancesPath.resolve(NOVA_BASE_FOLDER));
        Path snapshotsPath = path(root, "snapshotsPath", instancesPath.resolve(NOVA_SNAPSHOTS_FOLDER));
        JsonNode libvirt = section(root, "libvirt");
        String uri = text(libvirt, "uri", DEFAULT_LIBVIRT_URI);
        Duration reconnectMax = duration(libvirt, "reconnectMaxDelay", DEFAULT_LIBVIRT_RECONNECT_MAX);
        if (reconnectMax.compareTo(MIN_LIBVIRT_RECONNECT_MAX) < 0
                || reconnectMax.compareTo(MAX_LIBVIRT_RECONNECT_MAX) > 0) {
            fail("libvirt.reconnectMaxDelay",
                    "'" + libvirt.path("reconnectMaxDelay").asText() + "' is not between 500ms and 5m");
        }

        JsonNode authNode = section(root, "auth");
        AuthMode mode = authMode(authNode);
        Optional<Path> tokenFile = Optional.empty();
        Optional<Tls> tls = Optional.empty();
        if (mode == AuthMode.TOKEN) {
            Path token = path(authNode, "tokenFile", DEFAULT_TOKEN_FILE);
            readable("auth.tokenFile", token);
            tokenFile = Optional.of(token);
        } else {
            JsonNode tlsNode = section(authNode, "tls");
            Path cert = path(tlsNode, "certificate", DEFAULT_TLS_DIR.resolve("agent.crt"));
            Path key = path(tlsNode, "key", DEFAULT_TLS_DIR.resolve("agent.key"));
            Path ca = path(tlsNode, "ca", DEFAULT_TLS_DIR.resolve("ca.crt"));
            readable("auth.tls.certificate", cert);
            readable("auth.tls.key", key);
            readable("auth.tls.ca", ca);
            tls = Optional.of(new Tls(cert, key, ca));
        }

        JsonNode rep = section(root, "replication");
        int squashAbove = (int) number(rep, "squashAbove", DEFAULT_SQUASH_ABOVE, 2, 1000);
        long maxJson = size(rep, "maxJsonBytes", DEFAULT_MAX_JSON_BYTES, 1024, 16L << 20);
        Duration peerTimeout = duration(rep, "peerTimeout", DEFAULT_PEER_TIMEOUT);
        Duration bodyTimeout = duration(rep, "bodyTimeout", DEFAULT_BODY_TIMEOUT);
        long maxDisk = size(rep, "maxDiskBytes", DEFAULT_MAX_DISK_BYTES, 1L << 20, 1L << 50);

        if (!errors.isEmpty()) {
            throw new ConfigException(source + ": " + errors.get(0)
                    + (errors.size() > 1 ? " (and " + (errors.size() - 1) + " more)" : ""));
        }
        return new AgentConfig(host, listen, dataDir, instancesPath, baseImagesPath, snapshotsPath, uri, reconnectMax,
                new Auth(mode, tokenFile, tls),
                new Replication(squashAbove, maxJson, peerTimeout, bodyTimeout, maxDisk));
    }

    private void checkKeys(JsonNode node, String path) {
        Set<String> known = KEYS.get(path);
        for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
            String key = it.next();
            String full = path.isEmpty() ? key : path + "." + key;
            if (!known.contains(key)) {
                fail(full, "is not a configuration key");
            }
        }
    }

    private JsonNode section(JsonNode parent, String key) {
        JsonNode node = parent.path(key);
        if (node.isMissingNode() || node.isNull()) {
            return MissingNode.getInstance();
        }
        String path = pathOf(parent, key);
        if (!node.isObject()) {
            fail(path, "must be a mapping");
            return MissingNode.getInstance();
        }
        sections.put(node, path);
        checkKeys(node, path);
        return node;
    }

    private String pathOf(JsonNode parent, String key) {
        String prefix = sections.get(parent);
        return prefix == null ? key : prefix + "." + key;
    }

    private String text(JsonNode parent, String key, String dflt) {
        JsonNode node = parent.path(key);
        if (node.isMissingNode() || node.isNull()) {
            return dflt;
        }
        if (!node.isValueNode() || node.asText().isBlank()) {
            fail(pathOf(parent, key), "must be a non-empty value");
            return dflt;
        }
        return node.asText().strip();
    }

    private Path path(JsonNode parent, String key, Path dflt) {
        String value = text(parent, key, null);
        if (value == null) {
            return dflt;
        }
        Path p = Path.of(value);
        if (!p.isAbsolute()) {
            fail(pathOf(parent, key), "'" + value + "' must be an absolute path");
        }
        return p;
    }

    private void readable(String key, Path file) {
        if (!Files.isReadable(file)) {
            fail(key, file + " does not exist or cannot be read");
        }
    }

    private InetSocketAddress address(JsonNode root, String key) {
        String value = text(root, key, DEFAULT_LISTEN);
        int colon = value.lastIndexOf(':');
        try {
            int port = Integer.parseInt(value.substring(colon + 1));
            if (colon <= 0 || port < 0 || port > 65535) {
                throw new NumberFormatException();
            }
            String host = value.substring(0, colon).replace("[", "").replace("]", "");
            return new InetSocketAddress(host, port);
        } catch (NumberFormatException | StringIndexOutOfBoundsException e) {
            fail(key, "'" + value + "' is not HOST:PORT");
            return new InetSocketAddress(0);
        }
    }

    private AuthMode authMode(JsonNode auth) {
        String value = text(auth, "mode", null);
        if (value == null) {
            return DEFAULT_AUTH_MODE;
        }
        try {
            return AuthMode.valueOf(value.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            fail("auth.mode", "'" + value + "' is not one of token, mtls");
            return DEFAULT_AUTH_MODE;
        }
    }

    private long number(JsonNode parent, String key, long dflt, long min, long max) {
        JsonNode node = parent.path(key);
        if (node.isMissingNode() || node.isNull()) {
            return dflt;
        }
        if (!node.canConvertToLong() || node.asLong() < min || node.asLong() > max) {
            fail(pathOf(parent, key), "'" + node.asText() + "' is not a whole number in " + min + ".." + max);
            return dflt;
        }
        return node.asLong();
    }

    private long size(JsonNode parent, String key, long dflt, long min, long max) {
        String value = text(parent, key, null);
        if (value == null) {
            return dflt;
        }
        Matcher m = SIZE.matcher(value);
        long bytes = -1;
        if (m.matches()) {
            int shift = m.group(2) == null ? 0 : List.of("B", "KiB", "MiB", "GiB", "TiB").indexOf(m.group(2)) * 10;
            long n = Long.parseLong(m.group(1));
            bytes = n > max >> shift ? -1 : n << shift;
        }
        if (bytes < min || bytes > max) {
            fail(pathOf(parent, key), "'" + value + "' is not a size between " + bytes(min) + " and " + bytes(max));
            return dflt;
        }
        return bytes;
    }

    /** The size in the largest unit that writes it whole: 65536 is 64 KiB. */
    private static String bytes(long n) {
        String[] units = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
        int u = 0;
        while (u < units.length - 1 && n >= 1024 && n % 1024 == 0) {
            n /= 1024;
            u++;
        }
        return n + " " + units[u];
    }

    private Duration duration(JsonNode parent, String key, Duration dflt) {
        String value = text(parent, key, null);
        if (value == null) {
            return dflt;
        }
        Duration d = null;
        Matcher m = DURATION.matcher(value);
        if (m.matches()) {
            long n = Long.parseLong(m.group(1));
            d = switch (m.group(2)) {
                case "ms" -> Duration.ofMillis(n);
                case "s" -> Duration.ofSeconds(n);
                case "m" -> Duration.ofMinutes(n);
                default -> Duration.ofHours(n);
            };
        } else {
            try {
                d = Duration.parse(value);
            } catch (DateTimeParseException e) {
                d = null;
            }
        }
        if (d == null || d.isNegative() || d.isZero()) {
            fail(pathOf(parent, key), "'" + value + "' is not a positive duration like 500ms, 30s, 2m");
            return dflt;
        }
        return d;
    }

    private void fail(String key, String what) {
        errors.add("key " + key + ": " + what);
    }
}
