package io.understudy.agent.api;

import java.net.URI;

/** Another agent: its Nova compute host name and the base URL of its API. */
public record Peer(String host, URI url) {}
