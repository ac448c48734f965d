package io.understudy.scheduler.round;

import static java.util.Objects.requireNonNull;

import io.understudy.scheduler.history.JsonLinesHistory;
import io.understudy.scheduler.records.RecordSet;
import io.understudy.scheduler.records.Records;
import java.time.Clock;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * The VMs an operator protected or unprotected one by one through the API, kept as records
 * ({@code protection/VM}) that every controller reads: the choice outweighs the rules file's
 * selectors until it is forgotten, when the rules decide again. Only an operator sets it (the
 * API's actor role), unlike a server's metadata, which any member of its project can write.
 */
public final class ProtectionChoices {

    static final String KIND = "protection";

    /** One operator's choice: whether the VM is protected, who chose it, when, and why. */
    public record Choice(UUID vm, boolean protect, String by, Instant at, String note) {
        public Choice {
            requireNonNull(vm, "vm is null");
            requireNonNull(by, "by is null");
            requireNonNull(at, "at is null");
            requireNonNull(note, "note is null");
        }
    }

    private final RecordSet<Choice> choices;
    private final Clock clock;

    public ProtectionChoices(Records records, Clock clock) {
        this.choices = new RecordSet<>(records, KIND, JsonLinesHistory.mapper(), Choice.class);
        this.clock = requireNonNull(clock, "clock is null");
    }

    /** Records that VM is protected (PROTECT) or not, chosen by BY for NOTE, in place of any choice before. */
    public Choice choose(UUID vm, boolean protect, String by, String note) {
        Choice c = new Choice(vm, protect, by, clock.instant(), note);
        choices.put(vm.toString(), c);
        return c;
    }

    public Optional<Choice> get(UUID vm) {
        return choices.get(vm.toString());
    }

    /** Forgets the choice of VM: the rules decide again. Returns whether there was one. */
    public boolean forget(UUID vm) {
        return choices.delete(vm.toString());
    }

    /** Each choice, by VM: true for protected. */
    public Map<UUID, Boolean> all() {
        Map<UUID, Boolean> all = new HashMap<>();
        choices.all().forEach(c -> all.put(c.vm(), c.protect()));
        return all;
    }

    /** Where VM's choice is kept, for messages. */
    public String where(UUID vm) {
        return choices.where(vm.toString());
    }
}
