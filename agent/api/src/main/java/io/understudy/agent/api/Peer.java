package io.understudy.agent.api;

import java.net.URI;

/**
 * Another agent: its Nova compute host name and the base URL of its API, {@code http(s)://HOST[:PORT]}
 * and nothing else. Deltas, manifests and disk contents go to that URL, so anything that is not
 * plainly another agent (another scheme, credentials, a path, a query) is refused where it is named.
 */
public record Peer(String host, URI url) {

    public Peer {
        Fields.required(host, "host");
        Fields.required(url, "url");
        String problem = urlProblem(url);
        if (problem != null) {
            throw new IllegalArgumentException("peer " + host + ": url '" + url + "' " + problem);
        }
    }

    /** What makes {@code url} no agent's base URL ("is not an http:// or https:// URL", ...), or null. */
    public static String urlProblem(URI url) {
        if (!"https".equals(url.getScheme()) && !"http".equals(url.getScheme())) {
            return "is not an http:// or https:// URL";
        }
        if (url.getRawUserInfo() != null) {
            return "carries user information";
        }
        if (url.getHost() == null) {
            return "names no host";
        }
        if (url.getRawQuery() != null || url.getRawFragment() != null) {
            return "has a query or a fragment";
        }
        if (!url.getRawPath().isEmpty() && !url.getRawPath().equals("/")) {
            return "has a path (an agent is named by scheme, host and port only)";
        }
        return null;
    }
}
