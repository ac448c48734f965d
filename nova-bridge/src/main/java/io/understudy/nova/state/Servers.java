package io.understudy.nova.state;

import static java.util.Objects.requireNonNull;

import io.understudy.nova.client.Microversion;
import io.understudy.nova.client.NovaCalls;
import io.understudy.nova.client.NovaException;
import java.util.Optional;
import java.util.UUID;

/** Servers, read one at a time. */
public final class Servers {

    /** Status, host and task state are in every version; 2.47 embeds the flavor, and so its RAM. */
    public static final Microversion VERSION = new Microversion(2, 47);

    private final NovaCalls nova;

    public Servers(NovaCalls nova) {
        this.nova = requireNonNull(nova, "nova is null");
    }

    /** The server, or empty once Nova no longer knows it (deleted). */
    public Optional<Server> show(UUID id) {
        try {
            return Optional.of(Server.fromJson(nova.get("/servers/" + requireNonNull(id, "id is null"), VERSION)
                    .path("server")));
        } catch (NovaException e) {
            if (e.status().orElse(0) == 404) {
                return Optional.empty();
            }
            throw e;
        }
    }
}
