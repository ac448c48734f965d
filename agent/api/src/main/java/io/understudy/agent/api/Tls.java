package io.understudy.agent.api;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;
import java.util.Collection;
import java.util.regex.MatchResult;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import javax.net.ssl.KeyManager;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;

/**
 * TLS from PEM files as openssl writes them: a certificate chain and its PKCS#8 private key, and the
 * CA certificates a peer's certificate must chain to. Agents and the controller build the cluster's
 * mutual TLS here, so both sides agree on what is trusted; the Nova bridge builds its client side for
 * Keystone and Nova from the same pieces.
 */
public final class Tls {

    private static final Pattern PEM_CERTIFICATE =
            Pattern.compile("-----BEGIN CERTIFICATE-----.+?-----END CERTIFICATE-----", Pattern.DOTALL);

    private Tls() {}

    /** The cluster's mutual TLS: this node's certificate and key, trusting exactly the cluster CA. */
    public static SSLContext context(Path certificate, Path key, Path ca) throws IOException {
        try {
            SSLContext context = SSLContext.getInstance("TLSv1.3");
            context.init(keyManagers(certificate, key), trustManagers(ca), null);
            return context;
        } catch (GeneralSecurityException e) {
            throw new IOException("TLS material " + certificate + ", " + key + ", " + ca + " is not usable: "
                    + e.getMessage(), e);
        }
    }

    /** What presents this certificate chain (the first certificate in the file first) with this key. */
    public static KeyManager[] keyManagers(Path certificate, Path key) throws IOException {
        try {
            Collection<? extends Certificate> chain = certificates(certificate);
            if (chain.isEmpty()) {
                throw new IOException(certificate + ": no certificate in it");
            }
            KeyStore keys = KeyStore.getInstance("PKCS12");
            keys.load(null, null);
            keys.setKeyEntry("node", privateKey(key), new char[0], chain.toArray(Certificate[]::new));
            KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(keys, new char[0]);
            return kmf.getKeyManagers();
        } catch (GeneralSecurityException e) {
            throw new IOException("certificate " + certificate + " with key " + key + " is not usable: "
                    + e.getMessage(), e);
        }
    }

    /** What trusts exactly the CA certificates in this file, and no other. */
    public static TrustManager[] trustManagers(Path ca) throws IOException {
        try {
            KeyStore trust = KeyStore.getInstance("PKCS12");
            trust.load(null, null);
            int i = 0;
            for (Certificate c : certificates(ca)) {
                trust.setCertificateEntry("ca" + i++, c);
            }
            if (i == 0) {
                throw new IOException(ca + ": no CA certificate in it");
            }
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(trust);
            return tmf.getTrustManagers();
        } catch (GeneralSecurityException e) {
            throw new IOException("CA " + ca + " is not usable: " + e.getMessage(), e);
        }
    }

    /** The file's certificates; a PEM file may hold the private key too, one file for both as requests allows. */
    private static Collection<? extends Certificate> certificates(Path file)
            throws IOException, GeneralSecurityException {
        byte[] content = Files.readAllBytes(file);
        String text = new String(content, StandardCharsets.US_ASCII);
        if (text.contains("PRIVATE KEY-----")) {
            // CertificateFactory gives up at the first block that is not a certificate
            content = PEM_CERTIFICATE.matcher(text).results().map(MatchResult::group)
                    .collect(Collectors.joining("\n")).getBytes(StandardCharsets.US_ASCII);
        }
        return CertificateFactory.getInstance("X.509").generateCertificates(new ByteArrayInputStream(content));
    }

    private static PrivateKey privateKey(Path file) throws IOException, GeneralSecurityException {
        String pem = Files.readString(file, StandardCharsets.US_ASCII);
        int begin = pem.indexOf("-----BEGIN PRIVATE KEY-----");
        int end = pem.indexOf("-----END PRIVATE KEY-----");
        if (begin < 0 || end < begin) {
            throw new IOException(file + ": not a PKCS#8 PEM private key (BEGIN PRIVATE KEY)");
        }
        byte[] der = Base64.getMimeDecoder().decode(pem.substring(begin + 27, end));
        for (String algorithm : new String[] {"EC", "RSA", "Ed25519"}) {
            try {
                return KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(der));
            } catch (GeneralSecurityException e) {
                // try the next algorithm: PKCS#8 names it inside, but KeyFactory wants it up front
            }
        }
        throw new IOException(file + ": private key of an unsupported algorithm (EC, RSA or Ed25519)");
    }
}
