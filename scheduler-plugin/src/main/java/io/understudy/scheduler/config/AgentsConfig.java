package io.understudy.scheduler.config;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;

/**
 * How to reach the agents ({@code agents:}): every compute host's agent at {@code SCHEME://HOST:PORT}.
 *
 * @param port {@code agents.port}: the agents' REST port, the same on every host
 * @param scheme {@code agents.scheme}: http or https
 * @param timeout {@code agents.timeout}: to connect and for each answer; a slower agent counts as not answering
 * @param parallelism {@code agents.parallelism}: requests in flight at once
 * @param clusterToken {@code agents.auth.clusterToken}: the bearer token agents accept, and the
 *     controller's own status API
 * @param clusterTokenFile {@code agents.auth.clusterTokenFile}: or a file holding it (first line)
 * @param tls {@code agents.tls.certificate}, {@code .key}, {@code .ca}: the controller's certificate
 *     and PKCS#8 key and the cluster CA, for agents in mutual-TLS mode (their default); needs https
 * @param endpoints {@code agents.endpoints}: per compute host, its agent's base URL where it is not
 *     {@code SCHEME://HOST:PORT} (several agents on one machine, as on the single-machine cloud)
 */
public record AgentsConfig(int port, String scheme, Duration timeout, int parallelism, Optional<String> clusterToken,
        Optional<Path> clusterTokenFile, Optional<TlsFiles> tls, Map<String, URI> endpoints) {

    /** PEM files as devstack/tls/cluster-tls.sh writes them. */
    public record TlsFiles(Path certificate, Path key, Path ca) {
        public TlsFiles {
            requireNonNull(certificate, "certificate is null");
            requireNonNull(key, "key is null");
            requireNonNull(ca, "ca is null");
        }
    }

    public static final AgentsConfig DEFAULT = new AgentsConfig(9797, "http", Duration.ofSeconds(2), 32,
            Optional.empty(), Optional.empty(), Optional.empty(), Map.of());

    public AgentsConfig {
        requireNonNull(scheme, "scheme is null");
        requireNonNull(timeout, "timeout is null");
        requireNonNull(clusterToken, "clusterToken is null");
        requireNonNull(clusterTokenFile, "clusterTokenFile is null");
        requireNonNull(tls, "tls is null");
        endpoints = Map.copyOf(requireNonNull(endpoints, "endpoints is null"));
        if (clusterToken.isPresent() && clusterTokenFile.isPresent()) {
            throw new IllegalArgumentException("give agents.auth.clusterToken or clusterTokenFile, not both");
        }
        if (tls.isPresent() && !scheme.equals("https")) {
            throw new IllegalArgumentException("agents.tls needs agents.scheme https");
        }
    }

    /**
     * The cluster token, inline or read from its file now.
     *
     * @throws IllegalArgumentException naming the file when it cannot be read
     */
    public Optional<String> readClusterToken() {
        return clusterToken.or(() -> clusterTokenFile.map(file -> {
            try {
                return Files.readAllLines(file).stream().findFirst().orElse("").strip();
            } catch (IOException e) {
                throw new IllegalArgumentException("agents.auth.clusterTokenFile " + file + " cannot be read: "
                        + e.getMessage(), e);
            }
        }));
    }

    /** The base URL of HOST's agent. */
    public URI endpoint(String host) {
        return endpoints.getOrDefault(host, URI.create(scheme + "://" + host + ":" + port));
    }
}
