package io.understudy.scheduler.round;

import static java.nio.charset.StandardCharsets.UTF_8;
import static java.util.Objects.requireNonNull;

import io.understudy.scheduler.records.Records;
import java.util.Optional;

/**
 * The state the last evaluation round left (breaches, cooldowns), kept in the shared records: the
 * next round reads it while holding the round lock, on whichever controller it runs, so a round that
 * waited for another's turn starts from what that one left, never from an older copy.
 */
public final class RoundStates {

    static final String KIND = "rounds";
    static final String NAME = "evaluation";

    private final Records records;

    public RoundStates(Records records) {
        this.records = requireNonNull(records, "records is null");
    }

    /** The last round's state; empty when none was kept or it cannot be read (then history tells). */
    public Optional<RoundState> latest() {
        return records.get(KIND, NAME).flatMap(body -> StateCodec.decode(new String(body, UTF_8)));
    }

    public void save(RoundState state) {
        records.put(KIND, NAME, StateCodec.encode(state).getBytes(UTF_8));
    }
}
