package io.understudy.nova.cloud;

import static java.util.Objects.requireNonNull;

import java.net.URI;
import java.util.Optional;

/**
 * How to log in to one cloud with Keystone v3 password authentication, and which of its
 * endpoints to use.
 *
 * @param source where these settings came from (a file and cloud name, or the environment),
 *     for error messages
 * @param authUrl Keystone's identity endpoint, e.g. {@code http://127.0.0.1:5000/v3}
 * @param regionName the catalog region whose endpoints are used; empty means the first one found
 * @param endpointInterface the catalog interface to use: public, internal or admin
 */
public record CloudConfig(
        String source,
        URI authUrl,
        String username,
        String password,
        DomainRef userDomain,
        String projectName,
        DomainRef projectDomain,
        Optional<String> regionName,
        EndpointInterface endpointInterface) {

    public CloudConfig {
        requireNonNull(source, "source is null");
        requireNonNull(authUrl, "authUrl is null");
        requireNonNull(username, "username is null");
        requireNonNull(password, "password is null");
        requireNonNull(userDomain, "userDomain is null");
        requireNonNull(projectName, "projectName is null");
        requireNonNull(projectDomain, "projectDomain is null");
        requireNonNull(regionName, "regionName is null");
        requireNonNull(endpointInterface, "endpointInterface is null");
    }

    /** Keeps the password out of logs and exception messages. */
    @Override
    public String toString() {
        return "CloudConfig[source=" + source + ", authUrl=" + authUrl + ", username=" + username
                + ", userDomain=" + userDomain + ", projectName=" + projectName
                + ", projectDomain=" + projectDomain + ", regionName=" + regionName.orElse("(any)")
                + ", endpointInterface=" + endpointInterface + "]";
    }

    /**
     * Keystone's v3 identity URL: clouds.yaml files often give the bare service root
     * ({@code http://host:5000}), while the token request goes to {@code .../v3/auth/tokens}.
     */
    public URI identityV3Url() {
        String url = authUrl.toString().replaceAll("/+$", "");
        return URI.create(url.endsWith("/v3") ? url : url + "/v3");
    }

    /** A Keystone domain named by its ID or by its name, as clouds.yaml allows both. */
    public record DomainRef(String value, boolean isId) {
        public DomainRef {
            requireNonNull(value, "value is null");
        }

        public static DomainRef byId(String id) {
            return new DomainRef(id, true);
        }

        public static DomainRef byName(String name) {
            return new DomainRef(name, false);
        }

        @Override
        public String toString() {
            return (isId ? "id:" : "name:") + value;
        }
    }

    /** The interfaces a Keystone catalog lists endpoints under. */
    public enum EndpointInterface {
        PUBLIC, INTERNAL, ADMIN;

        /**
         * Parses the spellings clouds.yaml and {@code OS_INTERFACE} accept ("public", "publicURL", ...).
         *
         * @throws IllegalArgumentException naming the value when it is none of them
         */
        public static EndpointInterface parse(String value, String source) {
            String name = value.toLowerCase(java.util.Locale.ROOT);
            if (name.endsWith("url")) {
                name = name.substring(0, name.length() - 3);
            }
            return switch (name) {
                case "public" -> PUBLIC;
                case "internal" -> INTERNAL;
                case "admin" -> ADMIN;
                default -> throw new IllegalArgumentException(
                        source + ": interface '" + value + "' is not one of public, internal, admin");
            };
        }
    }
}
