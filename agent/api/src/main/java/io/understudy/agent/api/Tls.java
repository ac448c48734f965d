package io.understudy.agent.api;

import java.io.IOException;
import java.io.InputStream;
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
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * The cluster's mutual TLS from PEM files as openssl writes them: this node's certificate chain and
 * PKCS#8 private key, and the cluster CA every peer's certificate must chain to. Agents and the
 * controller build their server and client contexts here, so both sides agree on what is trusted.
 */
public final class Tls {

    private Tls() {}

    public static SSLContext context(Path certificate, Path key, Path ca) throws IOException {
        try {
            CertificateFactory x509 = CertificateFactory.getInstance("X.509");
            Collection<? extends Certificate> chain;
            try (InputStream in = Files.newInputStream(certificate)) {
                chain = x509.generateCertificates(in);
            }
            if (chain.isEmpty()) {
                throw new IOException(certificate + ": no certificate in it");
            }
            PrivateKey privateKey = privateKey(key);
            KeyStore keys = KeyStore.getInstance("PKCS12");
            keys.load(null, null);
            keys.setKeyEntry("node", privateKey, new char[0], chain.toArray(Certificate[]::new));
            KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(keys, new char[0]);

            KeyStore trust = KeyStore.getInstance("PKCS12");
            trust.load(null, null);
            int i = 0;
            try (InputStream in = Files.newInputStream(ca)) {
                for (Certificate c : x509.generateCertificates(in)) {
                    trust.setCertificateEntry("ca" + i++, c);
                }
            }
            if (i == 0) {
                throw new IOException(ca + ": no CA certificate in it");
            }
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(trust);

            SSLContext context = SSLContext.getInstance("TLSv1.3");
            context.init(kmf.getKeyManagers(), tmf.getTrustManagers(), null);
            return context;
        } catch (GeneralSecurityException e) {
            throw new IOException("TLS material " + certificate + ", " + key + ", " + ca + " is not usable: "
                    + e.getMessage(), e);
        }
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
