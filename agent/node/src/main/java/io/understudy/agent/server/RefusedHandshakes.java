package io.understudy.agent.server;

import java.security.cert.CertPathBuilderException;
import java.security.cert.CertPathValidatorException;
import org.glassfish.grizzly.Connection;
import org.glassfish.grizzly.filterchain.FilterChainBuilder;
import org.glassfish.grizzly.http.server.AddOn;
import org.glassfish.grizzly.http.server.NetworkListener;
import org.glassfish.grizzly.ssl.SSLBaseFilter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One log line for every TLS handshake the agent refuses, with the peer's address and why: a client
 * without a certificate, or with one the cluster CA did not sign, never reaches a resource, so this
 * is the only trace an operator has of it.
 */
final class RefusedHandshakes implements AddOn, SSLBaseFilter.HandshakeListener {

    private static final Logger LOG = LoggerFactory.getLogger(AgentServer.class);

    @Override
    public void setup(NetworkListener listener, FilterChainBuilder builder) {
        ((SSLBaseFilter) builder.get(builder.indexOfType(SSLBaseFilter.class))).addHandshakeListener(this);
    }

    @Override
    public void onStart(Connection<?> connection) {
        // only refusals are logged
    }

    @Override
    public void onComplete(Connection<?> connection) {
        // only refusals are logged
    }

    @Override
    public void onFailure(Connection<?> connection, Throwable cause) {
        LOG.warn("refused a TLS handshake from {}: {}", address(connection.getPeerAddress()), reason(cause));
    }

    private static String address(Object peer) {
        return String.valueOf(peer).replaceFirst("^[^/]*/", "");
    }

    /** The JDK's words for the two refusals mutual TLS exists for, in the operator's. */
    private static String reason(Throwable cause) {
        for (Throwable t = cause; t != null; t = t.getCause()) {
            if (t instanceof CertPathValidatorException || t instanceof CertPathBuilderException) {
                return "client certificate not accepted by the cluster CA: " + t.getMessage();
            }
        }
        String message = cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage();
        if (message.contains("Empty client certificate chain") || message.contains("certificate_required")) {
            return "no client certificate";
        }
        return message;
    }
}
