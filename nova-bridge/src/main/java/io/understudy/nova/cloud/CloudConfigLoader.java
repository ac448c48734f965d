package io.understudy.nova.cloud;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.understudy.nova.cloud.CloudConfig.ApplicationCredential;
import io.understudy.nova.cloud.CloudConfig.Auth;
import io.understudy.nova.cloud.CloudConfig.DomainRef;
import io.understudy.nova.cloud.CloudConfig.EndpointInterface;
import io.understudy.nova.cloud.CloudConfig.NameOrId;
import io.understudy.nova.cloud.CloudConfig.Password;
import io.understudy.nova.cloud.CloudConfig.Tls;
import io.understudy.nova.cloud.CloudConfig.Token;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Finds the settings of one cloud the way openstacksdk does: a cloud named explicitly or by
 * {@code OS_CLOUD} comes from the first {@code clouds.yaml} found ({@code OS_CLIENT_CONFIG_FILE},
 * then {@code clouds.yaml}, {@code .yml} or {@code .json} in each directory searched), deep-merged
 * with the first {@code secure.yaml} found the same way ({@code OS_CLIENT_SECURE_FILE} first), whose
 * values win; without a cloud name, from the {@code OS_*} variables an openrc file sets.
 *
 * <p>Auth options may sit under the cloud's {@code auth} or beside it, as openstacksdk moves them
 * there. What this loader does not read is named in one warning; a value it cannot use is refused
 * with one line naming the key or variable and why.
 */
public final class CloudConfigLoader {

    private static final Logger LOG = LoggerFactory.getLogger(CloudConfigLoader.class);
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
    private static final List<String> SUFFIXES = List.of(".yaml", ".yml", ".json");
    /** These choose where the settings come from; they are not settings of the cloud. */
    private static final Set<String> SELECTORS =
            Set.of("OS_CLOUD", "OS_CLOUD_NAME", "OS_CLIENT_CONFIG_FILE", "OS_CLIENT_SECURE_FILE");
    private static final String AUTH_TYPES = "password, v3password, v3applicationcredential, token, v3token";

    private final Map<String, String> environment;
    private final List<Path> directories;

    /**
     * @param environment the process environment ({@code OS_*} variables)
     * @param directories where to look for clouds.yaml and secure.yaml when {@code OS_CLIENT_CONFIG_FILE}
     *     or {@code OS_CLIENT_SECURE_FILE} is unset, first found wins
     */
    public CloudConfigLoader(Map<String, String> environment, List<Path> directories) {
        this.environment = Map.copyOf(requireNonNull(environment, "environment is null"));
        this.directories = List.copyOf(requireNonNull(directories, "directories is null"));
    }

    /** openstacksdk's directories on Linux: the working directory, ~/.config/openstack, /etc/openstack. */
    public static List<Path> standardDirectories() {
        return List.of(
                Path.of(System.getProperty("user.dir")),
                Path.of(System.getProperty("user.home"), ".config", "openstack"),
                Path.of("/etc/openstack"));
    }

    /**
     * Loads the named cloud, or the one {@code OS_CLOUD} names, or else the {@code OS_*} variables.
     *
     * @throws IllegalArgumentException with a one-line reason naming the file, cloud, key or variable at fault
     */
    public CloudConfig load(Optional<String> cloudName) {
        Optional<String> name = cloudName.or(() -> variable("OS_CLOUD"));
        return name.isPresent() ? fromFiles(name.get()) : fromVariables();
    }

    private CloudConfig fromFiles(String cloud) {
        Path file = firstFile("OS_CLIENT_CONFIG_FILE", "clouds")
                .orElseThrow(() -> new IllegalArgumentException("no clouds.yaml found (looked in "
                        + directories.stream().map(Path::toString).collect(Collectors.joining(", "))
                        + "; set OS_CLIENT_CONFIG_FILE)"));
        ObjectNode root = read(file);
        String source = file + " cloud '" + cloud + "'";
        Optional<Path> secure = firstFile("OS_CLIENT_SECURE_FILE", "secure");
        if (secure.isPresent()) {
            merge(root, read(secure.get()));
            source += " with " + secure.get();
        }
        JsonNode clouds = root.get("clouds");
        if (clouds == null || !clouds.isObject()) {
            throw new IllegalArgumentException(file + ": has no 'clouds' mapping");
        }
        JsonNode entry = clouds.get(cloud);
        if (entry == null || !entry.isObject()) {
            List<String> known = new ArrayList<>();
            clouds.fieldNames().forEachRemaining(known::add);
            throw new IllegalArgumentException(file + ": no cloud named '" + cloud + "' (it has: "
                    + String.join(", ", known) + ")");
        }
        JsonNode auth = entry.get("auth");
        if (auth != null && !auth.isObject()) {
            throw new IllegalArgumentException(source + ": auth is not a mapping");
        }
        return parse(new Settings(source, (ObjectNode) entry,
                auth == null ? YAML.createObjectNode() : (ObjectNode) auth, false));
    }

    /** The variable's file, which must exist; else the first of the directories' files with that name. */
    private Optional<Path> firstFile(String variable, String name) {
        Optional<String> explicit = variable(variable);
        if (explicit.isPresent()) {
            Path file = Path.of(explicit.get());
            if (!Files.isRegularFile(file)) {
                throw new IllegalArgumentException(variable + "=" + file + ": no such file");
            }
            return Optional.of(file);
        }
        return directories.stream()
                .flatMap(directory -> SUFFIXES.stream().map(suffix -> directory.resolve(name + suffix)))
                .filter(Files::isRegularFile)
                .findFirst();
    }

    private static ObjectNode read(Path file) {
        JsonNode root;
        try {
            root = YAML.readTree(Files.readString(file));
        } catch (JacksonException e) {
            throw new IllegalArgumentException(file + ": not valid YAML: " + e.getOriginalMessage(), e);
        } catch (IOException e) {
            throw new IllegalArgumentException(file + ": cannot be read: " + e.getMessage(), e);
        }
        if (root == null || root.isMissingNode()) {
            return YAML.createObjectNode();
        }
        if (!root.isObject()) {
            throw new IllegalArgumentException(file + ": is not a mapping");
        }
        return (ObjectNode) root;
    }

    /** secure.yaml's values into clouds.yaml's, mapping by mapping, as openstacksdk merges them. */
    private static void merge(ObjectNode into, ObjectNode from) {
        from.fields().forEachRemaining(field -> {
            JsonNode mine = into.get(field.getKey());
            if (mine != null && mine.isObject() && field.getValue().isObject()) {
                merge((ObjectNode) mine, (ObjectNode) field.getValue());
            } else {
                into.set(field.getKey(), field.getValue());
            }
        });
    }

    /** The OS_* variables as openstacksdk reads them: OS_PROJECT_ID is project_id, beside auth. */
    private CloudConfig fromVariables() {
        ObjectNode top = YAML.createObjectNode();
        environment.keySet().stream()
                .filter(name -> name.startsWith("OS_") && !SELECTORS.contains(name))
                .forEach(name -> variable(name).ifPresent(value ->
                        top.put(name.substring(3).toLowerCase(Locale.ROOT), value)));
        return parse(new Settings("OS_* environment variables", top, YAML.createObjectNode(), true));
    }

    private static CloudConfig parse(Settings s) {
        Optional<String> version = s.text("identity_api_version");
        if (version.isPresent() && !version.get().equals("3")) {
            throw s.invalid("identity_api_version", version.get(), "is not supported (only 3)");
        }
        String authType = s.text("auth_type").orElse("password");
        URI authUrl = url(s, s.required("auth_url"));
        Auth auth = switch (authType) {
            case "password", "v3password" -> new Password(
                    user(s, true).orElseThrow(() -> s.missing("user_id", "username")),
                    s.required("password"), project(s));
            case "v3applicationcredential" -> applicationCredential(s);
            case "token", "v3token" -> new Token(
                    s.authText("token").or(() -> s.authText("auth_token")).orElseThrow(() -> s.missing("token")),
                    project(s));
            default -> throw s.invalid("auth_type", authType, "is not supported (" + AUTH_TYPES + ")");
        };
        Tls tls = tls(s);
        Optional<String> region = s.text("region_name");
        EndpointInterface endpointInterface = EndpointInterface.parse(s.text("interface").orElse("public"),
                s.where("interface"));
        List<String> unread = s.unread();
        if (!unread.isEmpty()) {
            LOG.warn("{}: not read by Understudy with auth_type {}, so ignored: {}", s.source, authType,
                    String.join(", ", unread));
        }
        return new CloudConfig(s.source, authUrl, auth, tls, region, endpointInterface);
    }

    /** By ID, else by name in its domain; {@code shorthands}: domain_* and default_domain_* count for the domain. */
    private static Optional<NameOrId> user(Settings s, boolean shorthands) {
        Optional<String> id = s.authText("user_id");
        if (id.isPresent()) {
            return id.map(NameOrId::byId);
        }
        return s.authText("username").map(name -> NameOrId.byName(name, domain(s, "user_domain", shorthands)));
    }

    private static NameOrId project(Settings s) {
        Optional<String> id = s.authText("project_id").or(() -> s.authText("tenant_id"));
        if (id.isPresent()) {
            return NameOrId.byId(id.get());
        }
        return s.authText("project_name").or(() -> s.authText("tenant_name"))
                .map(name -> NameOrId.byName(name, domain(s, "project_domain", true)))
                .orElseThrow(() -> s.missing("project_id", "project_name"));
    }

    /**
     * {@code KIND_id} or {@code KIND_name}; with shorthands also openstacksdk's {@code domain_*} (both
     * the user's and the project's) and keystoneauth's {@code default_domain_*}; an ID before a name, as
     * keystoneauth sends it; else Keystone's default domain.
     */
    private static DomainRef domain(Settings s, String kind, boolean shorthands) {
        List<String> prefixes = shorthands ? List.of(kind, "domain", "default_domain") : List.of(kind);
        return prefixes.stream().map(prefix -> s.authText(prefix + "_id")).flatMap(Optional::stream).findFirst()
                .map(DomainRef::byId)
                .or(() -> prefixes.stream().map(prefix -> s.authText(prefix + "_name")).flatMap(Optional::stream)
                        .findFirst().map(DomainRef::byName))
                .orElse(DomainRef.DEFAULT);
    }

    private static ApplicationCredential applicationCredential(Settings s) {
        String secret = s.required("application_credential_secret");
        Optional<String> id = s.authText("application_credential_id");
        if (id.isPresent()) {
            return new ApplicationCredential(id, Optional.empty(), Optional.empty(), secret);
        }
        String name = s.authText("application_credential_name")
                .orElseThrow(() -> s.missing("application_credential_id", "application_credential_name"));
        NameOrId user = user(s, false).orElseThrow(() -> s.missing("user_id", "username"));
        return new ApplicationCredential(Optional.empty(), Optional.of(name), Optional.of(user), secret);
    }

    /** openstacksdk's rules: insecure wins over verify, and cacert means nothing when nothing is verified. */
    private static Tls tls(Settings s) {
        boolean verifySet = s.flag("verify").orElse(true);
        boolean insecure = s.flag("insecure").orElse(false);
        boolean verify = verifySet && !insecure;
        Optional<Path> ca = s.file("cacert");
        if (!verify && ca.isPresent()) {
            LOG.warn("{}: cacert {} is not used: certificates are not verified (verify: false or insecure)",
                    s.source, ca.get());
        }
        Optional<Path> certificate = s.file("cert");
        Optional<Path> key = s.file("key");
        if (key.isPresent() && certificate.isEmpty()) {
            throw s.invalid("key", key.get().toString(), "needs its client certificate: set cert too");
        }
        return new Tls(verify ? ca : Optional.empty(), verify, certificate, key);
    }

    private static URI url(Settings s, String value) {
        URI uri;
        try {
            uri = new URI(value);
        } catch (URISyntaxException e) {
            throw s.invalid("auth_url", value, "is not a URL: " + e.getReason());
        }
        if (!("http".equals(uri.getScheme()) || "https".equals(uri.getScheme())) || uri.getHost() == null) {
            throw s.invalid("auth_url", value, "is not an http(s) URL");
        }
        return uri;
    }

    private Optional<String> variable(String name) {
        return Optional.ofNullable(environment.get(name)).filter(value -> !value.isBlank());
    }

    /**
     * One cloud's settings: its clouds.yaml entry and auth mapping, or the OS_* variables as keys beside
     * an empty auth. Remembers each key looked up, so that the ones never looked up can be named.
     */
    private static final class Settings {
        final String source;
        private final ObjectNode top;
        private final ObjectNode auth;
        private final boolean environment;
        private final Set<String> readTop = new HashSet<>(Set.of("auth"));
        private final Set<String> readAuth = new HashSet<>();

        Settings(String source, ObjectNode top, ObjectNode auth, boolean environment) {
            this.source = source;
            this.top = top;
            this.auth = auth;
            this.environment = environment;
        }

        /** A key of the cloud itself, e.g. region_name. */
        Optional<String> text(String key) {
            readTop.add(key);
            return scalar(key, top.get(key));
        }

        /** An auth option: under auth, else beside it (openstacksdk moves it under auth). */
        Optional<String> authText(String key) {
            readAuth.add(key);
            return scalar(key, auth.get(key)).or(() -> text(key));
        }

        String required(String key) {
            return authText(key).orElseThrow(() -> missing(key));
        }

        /** true or false: a YAML boolean, or the words (any case), as OS_INSECURE=true gives it. */
        Optional<Boolean> flag(String key) {
            JsonNode node = top.get(key);
            if (node != null && node.isBoolean()) {
                readTop.add(key);
                return Optional.of(node.booleanValue());
            }
            return text(key).map(value -> switch (value.toLowerCase(Locale.ROOT)) {
                case "true" -> true;
                case "false" -> false;
                default -> throw invalid(key, value, "is not true or false");
            });
        }

        /** A path to a file that is there and readable now, not at the first login. */
        Optional<Path> file(String key) {
            return text(key).map(value -> {
                Path path = Path.of(value);
                if (!Files.isRegularFile(path) || !Files.isReadable(path)) {
                    throw invalid(key, value, "is not a readable file");
                }
                return path;
            });
        }

        private Optional<String> scalar(String key, JsonNode node) {
            if (node == null || node.isNull()) {
                return Optional.empty();
            }
            if (node.isContainerNode()) {
                throw new IllegalArgumentException(where(key) + " must be a single value, not a "
                        + (node.isObject() ? "mapping" : "list"));
            }
            return Optional.of(node.asText()).filter(text -> !text.isBlank());
        }

        IllegalArgumentException invalid(String key, String value, String reason) {
            return new IllegalArgumentException(where(key) + " '" + value + "' " + reason);
        }

        IllegalArgumentException missing(String... keys) {
            String names = Arrays.stream(keys).map(this::name).collect(Collectors.joining(" or "));
            return new IllegalArgumentException(environment
                    ? names + " is not set; set OS_CLOUD to use clouds.yaml instead"
                    : source + ": " + names + " is missing");
        }

        /** The key as its reader would find it: OS_PROJECT_ID, or project_id beside auth, or auth.project_id. */
        String where(String key) {
            return environment ? name(key) : source + ": " + name(key);
        }

        private String name(String key) {
            if (environment) {
                return "OS_" + key.toUpperCase(Locale.ROOT);
            }
            return readAuth.contains(key) && !top.has(key) ? "auth." + key : key;
        }

        /** What the cloud sets that was never looked up, by the names {@link #where} gives. */
        List<String> unread() {
            List<String> unread = new ArrayList<>();
            top.fieldNames().forEachRemaining(key -> {
                if (!readTop.contains(key)) {
                    unread.add(name(key));
                }
            });
            auth.fieldNames().forEachRemaining(key -> {
                if (!readAuth.contains(key)) {
                    unread.add("auth." + key);
                }
            });
            return unread;
        }
    }
}
