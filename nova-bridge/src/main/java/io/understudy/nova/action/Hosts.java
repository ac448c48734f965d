package io.understudy.nova.action;

/** Checks on the compute host names actions are given. */
final class Hosts {

    private Hosts() {
    }

    static String requireHost(String host) {
        if (host == null || host.isBlank()) {
            throw new IllegalArgumentException("target host '" + host + "' is blank");
        }
        return host;
    }
}
