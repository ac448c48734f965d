package io.understudy.agent.api;

import java.io.IOException;

/** An agent answered with an error status; {@link #status()} tells which (409: wrong base version). */
public final class AgentException extends IOException {
    private static final long serialVersionUID = 1L;

    private final int status;

    public AgentException(String agent, int status, String message) {
        super(agent + ": " + status + " " + message);
        this.status = status;
    }

    public int status() {
        return status;
    }
}
