package io.understudy.nova.cloud;

import static java.util.Objects.requireNonNull;

import java.net.URI;
import java.nio.file.Path;
import java.util.Optional;

/**
 * How to log in to one cloud with Keystone v3, how to reach it over TLS, and which of its endpoints
 * to use.
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
        Auth auth,
        Tls tls,
        Optional<String> regionName,
        EndpointInterface endpointInterface) {

    public CloudConfig {
        requireNonNull(source, "source is null");
        requireNonNull(authUrl, "authUrl is null");
        requireNonNull(auth, "auth is null");
        requireNonNull(tls, "tls is null");
        requireNonNull(regionName, "regionName is null");
        requireNonNull(endpointInterface, "endpointInterface is null");
    }

    /** Names the credentials without their secret, which stays out of logs and exception messages. */
    @Override
    public String toString() {
        return "CloudConfig[source=" + source + ", authUrl=" + authUrl + ", auth=" + auth + ", tls=" + tls
                + ", regionName=" + regionName.orElse("(any)") + ", endpointInterface=" + endpointInterface + "]";
    }

    /**
     * Keystone's v3 identity URL: clouds.yaml files often give the bare service root
     * ({@code http://host:5000}), while the token request goes to {@code .../v3/auth/tokens}.
     */
    public URI identityV3Url() {
        String url = authUrl.toString().replaceAll("/+$", "");
        return URI.create(url.endsWith("/v3") ? url : url + "/v3");
    }

    /**
     * The kinds of Keystone credentials openstacksdk's {@code auth_type} names. Each one's
     * {@code toString} names it without its secret.
     */
    public sealed interface Auth permits Password, ApplicationCredential, Token {}

    /** {@code auth_type: password} or {@code v3password}: a user's password, for a token scoped to a project. */
    public record Password(NameOrId user, String password, NameOrId project) implements Auth {
        public Password {
            requireNonNull(user, "user is null");
            requireNonNull(password, "password is null");
            requireNonNull(project, "project is null");
        }

        @Override
        public String toString() {
            return "password of user " + user + " for project " + project;
        }
    }

    /**
     * {@code auth_type: v3applicationcredential}, the kind Keystone recommends for a service: named by
     * its ID, or by its name and its user. It is bound to the project it was made in, so it asks for no
     * scope.
     */
    public record ApplicationCredential(Optional<String> id, Optional<String> name, Optional<NameOrId> user,
            String secret) implements Auth {
        public ApplicationCredential {
            requireNonNull(id, "id is null");
            requireNonNull(name, "name is null");
            requireNonNull(user, "user is null");
            requireNonNull(secret, "secret is null");
            if (id.isEmpty() && (name.isEmpty() || user.isEmpty())) {
                throw new IllegalArgumentException("an application credential needs its ID, or its name and user");
            }
        }

        @Override
        public String toString() {
            return "application credential " + id.map(value -> "id:" + value)
                    .orElseGet(() -> "name:" + name.orElseThrow() + " of user " + user.orElseThrow());
        }
    }

    /** {@code auth_type: token} or {@code v3token}: a token Keystone already issued, exchanged for one scoped to the project. */
    public record Token(String token, NameOrId project) implements Auth {
        public Token {
            requireNonNull(token, "token is null");
            requireNonNull(project, "project is null");
        }

        @Override
        public String toString() {
            return "token for project " + project;
        }
    }

    /** A user or project named by its ID, or by its name within a domain (Keystone needs the domain only with a name). */
    public record NameOrId(String value, boolean isId, DomainRef domain) {
        public NameOrId {
            requireNonNull(value, "value is null");
            requireNonNull(domain, "domain is null");
        }

        public static NameOrId byId(String id) {
            return new NameOrId(id, true, DomainRef.DEFAULT);
        }

        public static NameOrId byName(String name, DomainRef domain) {
            return new NameOrId(name, false, domain);
        }

        @Override
        public String toString() {
            return isId ? "id:" + value : "name:" + value + " in domain " + domain;
        }
    }

    /** A Keystone domain named by its ID or by its name, as clouds.yaml allows both. */
    public record DomainRef(String value, boolean isId) {

        /** Keystone's own default domain, which openstacksdk uses too when nothing names one. */
        public static final DomainRef DEFAULT = byId("default");

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

    /**
     * How Keystone's and Nova's certificates are checked, and what this client presents.
     *
     * @param caFile the only CA certificates trusted (openstacksdk's {@code cacert}: it replaces the JVM's
     *     trust store rather than adding to it); empty means the JVM's trust store
     * @param verify false trusts any certificate for any host name ({@code verify: false}, {@code insecure})
     * @param clientCertificate a PEM certificate presented for mutual TLS
     * @param clientKey its PKCS#8 PEM key; empty means the key is in the certificate's file
     */
    public record Tls(Optional<Path> caFile, boolean verify, Optional<Path> clientCertificate,
            Optional<Path> clientKey) {

        public Tls {
            requireNonNull(caFile, "caFile is null");
            requireNonNull(clientCertificate, "clientCertificate is null");
            requireNonNull(clientKey, "clientKey is null");
            if (clientKey.isPresent() && clientCertificate.isEmpty()) {
                throw new IllegalArgumentException("a client key needs its client certificate");
            }
        }
    }

    /** The interfaces a Keystone catalog lists endpoints under. */
    public enum EndpointInterface {
        PUBLIC, INTERNAL, ADMIN;

        /**
         * Parses the spellings clouds.yaml and {@code OS_INTERFACE} accept ("public", "publicURL", ...).
         *
         * @param what names the setting in the error, e.g. {@code OS_INTERFACE}
         * @throws IllegalArgumentException naming the value when it is none of them
         */
        public static EndpointInterface parse(String value, String what) {
            String name = value.toLowerCase(java.util.Locale.ROOT);
            if (name.endsWith("url")) {
                name = name.substring(0, name.length() - 3);
            }
            return switch (name) {
                case "public" -> PUBLIC;
                case "internal" -> INTERNAL;
                case "admin" -> ADMIN;
                default -> throw new IllegalArgumentException(
                        what + " '" + value + "' is not one of public, internal, admin");
            };
        }
    }
}
