package io.understudy.agent.api;

/** A node's part in protecting one VM: it runs the VM (primary) or holds a replica of its disk (secondary). */
public enum Role { PRIMARY, SECONDARY }
