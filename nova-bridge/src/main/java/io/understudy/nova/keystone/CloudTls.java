package io.understudy.nova.keystone;

import io.understudy.agent.api.Tls;
import io.understudy.nova.cloud.CloudConfig;
import java.io.IOException;
import java.net.Socket;
import java.security.GeneralSecurityException;
import java.security.cert.X509Certificate;
import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509ExtendedTrustManager;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The TLS context for a cloud's Keystone and Nova, as openstacksdk's {@code cacert}, {@code verify}
 * and {@code cert}/{@code key} ask: the CA file replaces the JVM's trust store (requests' {@code verify=PATH}
 * does the same), no verification trusts anything, and a client certificate is presented when set.
 */
public final class CloudTls {

    private static final Logger LOG = LoggerFactory.getLogger(CloudTls.class);

    private CloudTls() {}

    /**
     * Built once at start-up, so that unusable PEM files stop the start and an unverified cloud is
     * said once.
     *
     * @throws IllegalArgumentException naming the file and why when a PEM file is unusable
     */
    public static SSLContext context(CloudConfig cloud) {
        CloudConfig.Tls tls = cloud.tls();
        try {
            KeyManager[] keys = null;
            if (tls.clientCertificate().isPresent()) {
                keys = Tls.keyManagers(tls.clientCertificate().get(),
                        tls.clientKey().orElse(tls.clientCertificate().get()));
            }
            TrustManager[] trust = null;
            if (!tls.verify()) {
                LOG.warn("{}: Keystone's and Nova's certificates are not verified (verify: false or insecure): "
                        + "anyone on the way can read the credentials and tokens", cloud.source());
                trust = new TrustManager[] {new TrustingAll()};
            } else if (tls.caFile().isPresent()) {
                trust = Tls.trustManagers(tls.caFile().get());
            }
            SSLContext context = SSLContext.getInstance("TLS");
            // null key or trust managers: the JVM's defaults
            context.init(keys, trust, null);
            return context;
        } catch (IOException e) {
            throw new IllegalArgumentException(cloud.source() + ": " + e.getMessage(), e);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("the JVM's TLS: " + e.getMessage(), e);
        }
    }

    /**
     * Trusts every certificate for every host. An X509ExtendedTrustManager, because the JDK checks host
     * names inside the trust manager: it wraps a plain X509TrustManager in one that still checks them.
     */
    private static final class TrustingAll extends X509ExtendedTrustManager {
        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) {}

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) {}

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) {}

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) {}

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) {}

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) {}

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            return new X509Certificate[0];
        }
    }
}
