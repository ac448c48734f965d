package io.understudy.scheduler.moves;

import static java.util.Objects.requireNonNull;

import io.understudy.scheduler.history.JsonLinesHistory;
import io.understudy.scheduler.records.RecordSet;
import io.understudy.scheduler.records.Records;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * Operators' confirmations that a host is fenced ({@code understudy fence confirm HOST}): they
 * powered it off by hand when no fencer could. One record per host, seen by every controller. A confirmation
 * is the proof for failovers from that host for {@code validFor} after it was given; {@link Fencers}
 * withdraws it sooner, as soon as the host's agent answers again (the host came back).
 */
public final class FenceConfirmations {

    /**
     * @param by who confirmed (the operator's login)
     * @param note what they said they did, if anything
     */
    public record Confirmation(String host, Instant at, String by, String note) {
        public Confirmation {
            requireNonNull(host, "host is null");
            requireNonNull(at, "at is null");
            requireNonNull(by, "by is null");
            requireNonNull(note, "note is null");
        }
    }

    static final String KIND = "fences";

    private final RecordSet<Confirmation> confirmations;
    private final Duration validFor;

    public FenceConfirmations(Records records, Duration validFor) {
        this.confirmations = new RecordSet<>(records, KIND, JsonLinesHistory.mapper(), Confirmation.class);
        this.validFor = requireNonNull(validFor, "validFor is null");
    }

    public Duration validFor() {
        return validFor;
    }

    /** Records CONFIRMATION, replacing an earlier one of its host. */
    public synchronized void record(Confirmation confirmation) {
        confirmations.put(confirmation.host(), confirmation);
    }

    /** Where HOST's confirmation is kept, for messages. */
    public String where(String host) {
        return confirmations.where(host);
    }

    /** HOST's confirmation, if one was given less than {@code validFor} before NOW. */
    public synchronized Optional<Confirmation> current(String host, Instant now) {
        return confirmations.get(host).filter(c -> now.isBefore(c.at().plus(validFor)) && !now.isBefore(c.at()));
    }

    /** Forgets HOST's confirmation; returns whether there was one. */
    public synchronized boolean withdraw(String host) {
        return confirmations.delete(host);
    }
}
