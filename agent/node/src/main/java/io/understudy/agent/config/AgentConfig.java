package io.understudy.agent.config;

import static java.util.Objects.requireNonNull;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/**
 * Everything the agent daemon is told, typed and validated ({@link ConfigReader} reads it from
 * YAML; every key, its default and its meaning are in the README's agent configuration table).
 *
 * @param host          the Nova compute host name this agent speaks for
 * @param listen        where the API listens
 * @param dataDir       replicas, primary state and scratch files live here, nowhere else
 * @param instancesPath Nova's {@code instances_path}: disk space is measured there and replicas are staged there
 * @param baseImagesPath Nova's image cache ({@code instances_path/_base}): a VM's disk that is an overlay of
 *                      an image there replicates only what it wrote above the image to a node that holds it too
 * @param snapshotsPath Nova's {@code [libvirt] snapshots_directory} ({@code instances_path/snapshots}): no round
 *                      begins while Nova has just begun a snapshot there
 * @param libvirtReconnectMaxDelay the longest wait between two tries to reach a libvirtd that stopped
 *                      answering
 */
public record AgentConfig(
        String host,
        InetSocketAddress listen,
        Path dataDir,
        Path instancesPath,
        Path baseImagesPath,
        Path snapshotsPath,
        String libvirtUri,
        Duration libvirtReconnectMaxDelay,
        Auth auth,
        Replication replication) {

    public AgentConfig {
        requireNonNull(host, "host is null");
        requireNonNull(listen, "listen is null");
        requireNonNull(dataDir, "dataDir is null");
        requireNonNull(instancesPath, "instancesPath is null");
        requireNonNull(baseImagesPath, "baseImagesPath is null");
        requireNonNull(snapshotsPath, "snapshotsPath is null");
        requireNonNull(libvirtUri, "libvirtUri is null");
        requireNonNull(libvirtReconnectMaxDelay, "libvirtReconnectMaxDelay is null");
        requireNonNull(auth, "auth is null");
        requireNonNull(replication, "replication is null");
    }

    /** How every request is authenticated; there is no "off". */
    public enum AuthMode { TOKEN, MTLS }

    /**
     * @param tokenFile with TOKEN: a file holding the cluster's shared token (TLS terminated elsewhere)
     * @param tls       with MTLS: this node's key and certificate, and the cluster CA that signs every agent's and the controller's
     */
    public record Auth(AuthMode mode, Optional<Path> tokenFile, Optional<Tls> tls) {
        public Auth {
            requireNonNull(mode, "mode is null");
            requireNonNull(tokenFile, "tokenFile is null");
            requireNonNull(tls, "tls is null");
        }
    }

    /**
     * PEM files, as openssl writes them (README: "TLS material").
     *
     * @param certificate this node's certificate chain
     * @param key         its private key (PKCS#8)
     * @param ca          the cluster CA; peers must present a certificate it signed
     */
    public record Tls(Path certificate, Path key, Path ca) {
        public Tls {
            requireNonNull(certificate, "certificate is null");
            requireNonNull(key, "key is null");
            requireNonNull(ca, "ca is null");
        }
    }

    /**
     * @param squashAbove   merge a replica's layers when its chain grows longer than this
     * @param maxJsonBytes  the largest JSON body accepted (deltas stream and are bounded by their own format)
     * @param peerTimeout   connect and answer timeout towards other agents
     * @param bodyTimeout   a request body (a delta) from which nothing arrives for this long is given up (408)
     * @param maxDiskBytes  the largest virtual disk a delta may claim; a larger claim is refused before anything is written
     */
    public record Replication(int squashAbove, long maxJsonBytes, Duration peerTimeout, Duration bodyTimeout,
            long maxDiskBytes) {
        public Replication {
            requireNonNull(peerTimeout, "peerTimeout is null");
            requireNonNull(bodyTimeout, "bodyTimeout is null");
        }
    }
}
