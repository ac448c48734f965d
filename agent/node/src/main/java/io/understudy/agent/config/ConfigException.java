package io.understudy.agent.config;

/** A configuration the agent refuses to start with; the message names the file, the key and the reason. */
public final class ConfigException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public ConfigException(String message) {
        super(message);
    }
}
