package io.understudy.nova.state;

import static java.util.Objects.requireNonNull;

import io.understudy.nova.client.Microversion;
import io.understudy.nova.client.NovaClient;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * Every migration record of a server, finished ones included (unlike {@code /servers/{id}/migrations},
 * which lists only live migrations still in progress).
 */
public final class Migrations {

    /** From 2.59 the list has the records' UUIDs and comes newest first. */
    public static final Microversion VERSION = new Microversion(2, 59);

    private final NovaClient nova;

    public Migrations(NovaClient nova) {
        this.nova = requireNonNull(nova, "nova is null");
    }

    /** The server's migration records, newest first. */
    public List<Migration> ofServer(UUID server) {
        List<Migration> migrations = new ArrayList<>();
        nova.get("/os-migrations?instance_uuid=" + server, VERSION).path("migrations")
                .forEach(migration -> migrations.add(Migration.fromJson(migration)));
        return migrations;
    }
}
