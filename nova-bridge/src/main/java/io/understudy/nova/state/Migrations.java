package io.understudy.nova.state;

import static java.util.Objects.requireNonNull;

import io.understudy.nova.client.Microversion;
import io.understudy.nova.client.NovaCalls;
import io.understudy.nova.client.NovaException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * Nova's migration records, finished ones included (unlike {@code /servers/{id}/migrations},
 * which lists only live migrations still in progress). One page of Nova's {@code max_limit}
 * (1000 by default) is read: far more than a server or a host has.
 */
public final class Migrations {

    /** From 2.59 the records carry UUIDs and can be paged. */
    public static final Microversion VERSION = new Microversion(2, 59);
    /** A live migration in progress with its memory and disk figures: 2.23. */
    static final Microversion PROGRESS = new Microversion(2, 23);

    private final NovaCalls nova;

    public Migrations(NovaCalls nova) {
        this.nova = requireNonNull(nova, "nova is null");
    }

    /** The server's migration records, newest (highest id) first. */
    public List<Migration> ofServer(UUID server) {
        return query("/os-migrations?instance_uuid=" + requireNonNull(server, "server is null"));
    }

    /** The server's newest record, whatever its type: what Nova did to it last. */
    public Optional<Migration> newestOf(UUID server) {
        return ofServer(server).stream().findFirst();
    }

    /**
     * Evacuations away from HOST that are "done" and not yet "completed": Nova refuses to lift the
     * host's forced_down while there are any, until its nova-compute has restarted and cleaned up.
     */
    public List<Migration> evacuationsAwaitingCleanup(String host) {
        return query("/os-migrations?migration_type=" + Migration.EVACUATION + "&status=" + Migration.DONE
                + "&source_compute=" + URLEncoder.encode(requireNonNull(host, "host is null"), StandardCharsets.UTF_8));
    }

    /** Every evacuation away from HOST Nova has a record of, whatever its status, newest first. */
    public List<Migration> evacuationsFrom(String host) {
        return query("/os-migrations?migration_type=" + Migration.EVACUATION + "&source_compute="
                + URLEncoder.encode(requireNonNull(host, "host is null"), StandardCharsets.UTF_8));
    }

    /**
     * How far the live migration ID of SERVER has got, while Nova has it in progress; empty once
     * it is no longer in progress (Nova answers 404 then).
     */
    public Optional<MigrationProgress> progress(UUID server, long id) {
        try {
            return Optional.of(MigrationProgress.fromJson(nova.get("/servers/" + requireNonNull(server, "server is null")
                    + "/migrations/" + id, PROGRESS).path("migration")));
        } catch (NovaException e) {
            if (e.status().orElse(0) == 404) {
                return Optional.empty();
            }
            throw e;
        }
    }

    private List<Migration> query(String path) {
        List<Migration> migrations = new ArrayList<>();
        nova.get(path, VERSION).path("migrations").forEach(migration -> migrations.add(Migration.fromJson(migration)));
        migrations.sort(Comparator.comparingLong(Migration::id).reversed());
        return migrations;
    }
}
