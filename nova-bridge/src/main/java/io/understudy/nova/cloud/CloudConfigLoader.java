package io.understudy.nova.cloud;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.understudy.nova.cloud.CloudConfig.DomainRef;
import io.understudy.nova.cloud.CloudConfig.EndpointInterface;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Finds the settings of one cloud the way OpenStack's command-line tools do: a cloud named
 * explicitly or by {@code OS_CLOUD} comes from the first {@code clouds.yaml} found
 * ({@code OS_CLIENT_CONFIG_FILE}, then {@code ./clouds.yaml}, {@code ~/.config/openstack/clouds.yaml},
 * {@code /etc/openstack/clouds.yaml}); without a cloud name, from the {@code OS_*} variables
 * an openrc file sets.
 *
 * <p>Only Keystone v3 password authentication is understood for now; any other
 * {@code auth_type} is refused by name rather than misread.
 */
public final class CloudConfigLoader {

    /** Keystone's own default domain, used by openstacksdk too when a file names none. */
    private static final DomainRef DEFAULT_DOMAIN = DomainRef.byId("default");

    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

    private final Map<String, String> environment;
    private final List<Path> searchPath;

    /**
     * @param environment the process environment ({@code OS_*} variables)
     * @param searchPath where to look for clouds.yaml when {@code OS_CLIENT_CONFIG_FILE} is unset,
     *     first found wins
     */
    public CloudConfigLoader(Map<String, String> environment, List<Path> searchPath) {
        this.environment = Map.copyOf(requireNonNull(environment, "environment is null"));
        this.searchPath = List.copyOf(requireNonNull(searchPath, "searchPath is null"));
    }

    /** The loader for this process: its environment and the standard clouds.yaml locations. */
    public static CloudConfigLoader fromSystem() {
        return new CloudConfigLoader(System.getenv(), List.of(
                Path.of(System.getProperty("user.dir"), "clouds.yaml"),
                Path.of(System.getProperty("user.home"), ".config", "openstack", "clouds.yaml"),
                Path.of("/etc/openstack/clouds.yaml")));
    }

    /**
     * Loads the named cloud, or the one {@code OS_CLOUD} names, or else the {@code OS_*} variables.
     *
     * @throws IllegalArgumentException with a one-line reason naming the file, cloud or variable at fault
     */
    public CloudConfig load(Optional<String> cloudName) {
        Optional<String> name = cloudName.or(() -> variable("OS_CLOUD"));
        return name.isPresent() ? fromCloudsYaml(name.get()) : fromVariables();
    }

    private CloudConfig fromCloudsYaml(String cloud) {
        Path file = cloudsYaml();
        JsonNode root;
        try {
            root = YAML.readTree(Files.readString(file));
        } catch (JacksonException e) {
            throw new IllegalArgumentException(file + ": not valid YAML: " + e.getOriginalMessage(), e);
        } catch (IOException e) {
            throw new IllegalArgumentException(file + ": cannot be read: " + e.getMessage(), e);
        }
        JsonNode clouds = root == null ? null : root.get("clouds");
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
        String source = file + " cloud '" + cloud + "'";
        String authType = text(entry, "auth_type").orElse("password");
        if (!authType.equals("password") && !authType.equals("v3password")) {
            throw new IllegalArgumentException(source + ": auth_type '" + authType
                    + "' is not supported (only password)");
        }
        text(entry, "identity_api_version").ifPresent(version -> requireV3(source, version));
        JsonNode auth = entry.get("auth");
        if (auth == null || !auth.isObject()) {
            throw new IllegalArgumentException(source + ": has no 'auth' mapping");
        }
        return new CloudConfig(
                source,
                url(source + ": auth.auth_url", required(source, auth, "auth_url")),
                required(source, auth, "username"),
                required(source, auth, "password"),
                domain(text(auth, "user_domain_id"), text(auth, "user_domain_name")),
                required(source, auth, "project_name"),
                domain(text(auth, "project_domain_id"), text(auth, "project_domain_name")),
                text(entry, "region_name"),
                EndpointInterface.parse(text(entry, "interface").orElse("public"), source));
    }

    private Path cloudsYaml() {
        Optional<String> explicit = variable("OS_CLIENT_CONFIG_FILE");
        if (explicit.isPresent()) {
            Path file = Path.of(explicit.get());
            if (!Files.isRegularFile(file)) {
                throw new IllegalArgumentException("OS_CLIENT_CONFIG_FILE=" + file + ": no such file");
            }
            return file;
        }
        return searchPath.stream()
                .filter(Files::isRegularFile)
                .findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no clouds.yaml found (looked in "
                        + searchPath.stream().map(Path::toString).reduce((a, b) -> a + ", " + b).orElse("")
                        + "; set OS_CLIENT_CONFIG_FILE)"));
    }

    private CloudConfig fromVariables() {
        String source = "OS_* environment variables";
        variable("OS_IDENTITY_API_VERSION").ifPresent(version -> requireV3("OS_IDENTITY_API_VERSION", version));
        return new CloudConfig(
                source,
                url("OS_AUTH_URL", requiredVariable("OS_AUTH_URL")),
                requiredVariable("OS_USERNAME"),
                requiredVariable("OS_PASSWORD"),
                domain(variable("OS_USER_DOMAIN_ID"), variable("OS_USER_DOMAIN_NAME")),
                variable("OS_PROJECT_NAME").or(() -> variable("OS_TENANT_NAME"))
                        .orElseThrow(() -> new IllegalArgumentException(
                                "OS_PROJECT_NAME is not set (and neither is OS_TENANT_NAME); "
                                        + "set OS_CLOUD to use clouds.yaml instead")),
                domain(variable("OS_PROJECT_DOMAIN_ID"), variable("OS_PROJECT_DOMAIN_NAME")),
                variable("OS_REGION_NAME"),
                EndpointInterface.parse(variable("OS_INTERFACE").orElse("public"), "OS_INTERFACE"));
    }

    private static DomainRef domain(Optional<String> id, Optional<String> name) {
        return id.map(DomainRef::byId).or(() -> name.map(DomainRef::byName)).orElse(DEFAULT_DOMAIN);
    }

    private static void requireV3(String source, String version) {
        if (!version.equals("3")) {
            throw new IllegalArgumentException(source + ": identity API version '" + version
                    + "' is not supported (only 3)");
        }
    }

    /** @param what names the setting in errors, e.g. "OS_AUTH_URL" */
    private static URI url(String what, String value) {
        URI uri;
        try {
            uri = new URI(value);
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException(what + " '" + value + "' is not a URL: " + e.getReason(), e);
        }
        if (!("http".equals(uri.getScheme()) || "https".equals(uri.getScheme())) || uri.getHost() == null) {
            throw new IllegalArgumentException(what + " '" + value + "' is not an http(s) URL");
        }
        return uri;
    }

    private static String required(String source, JsonNode auth, String key) {
        return text(auth, key).orElseThrow(() -> new IllegalArgumentException(source + ": auth." + key
                + " is missing"));
    }

    private String requiredVariable(String name) {
        return variable(name).orElseThrow(() -> new IllegalArgumentException(name
                + " is not set; set OS_CLOUD to use clouds.yaml instead"));
    }

    private Optional<String> variable(String name) {
        return Optional.ofNullable(environment.get(name)).filter(value -> !value.isBlank());
    }

    /** A scalar as text (YAML may type a numeric password or version as a number). */
    private static Optional<String> text(JsonNode node, String key) {
        JsonNode value = node.get(key);
        return value == null || !value.isValueNode() || value.isNull()
                ? Optional.empty()
                : Optional.of(value.asText()).filter(text -> !text.isBlank());
    }
}
