package io.understudy.scheduler.moves;

import io.understudy.scheduler.history.JsonLinesHistory;
import io.understudy.scheduler.records.RecordSet;
import io.understudy.scheduler.records.Records;
import java.lang.management.ManagementFactory;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.UUID;

/**
 * The journal as records: an open move is the record {@code moves/VM}, rewritten whole at each
 * step; an ended one becomes {@code moves/ended/VM-START}. Creating the open record is the claim
 * on the VM: it fails when another controller or the command line holds an open move of it.
 * {@code moves/claims/VM} is the VM's claim, kept for good: its version, compared and set before a
 * move begins and before each of its steps, lets one of two controllers that decided on the same
 * VM go on, also when they write through different Galera nodes.
 */
public final class RecordJournal implements Journal {

    static final String OPEN = "moves";
    static final String ENDED = "moves/ended";
    static final String CLAIMS = "moves/claims";
    /** Which controller claimed: its process and host, for an operator reading the claim. */
    private static final String CONTROLLER = ManagementFactory.getRuntimeMXBean().getName();
    private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss.SSS'Z'")
            .withZone(ZoneOffset.UTC);

    private final RecordSet<MoveState> open;
    private final RecordSet<MoveState> ended;
    private final RecordSet<Claim> claims;

    /** What a claim record says: what was claimed, when, by which controller. */
    record Claim(String what, Instant at, String by) {}

    public RecordJournal(Records records) {
        this.open = new RecordSet<>(records, OPEN, JsonLinesHistory.mapper(), MoveState.class);
        this.ended = new RecordSet<>(records, ENDED, JsonLinesHistory.mapper(), MoveState.class);
        this.claims = new RecordSet<>(records, CLAIMS, JsonLinesHistory.mapper(), Claim.class);
    }

    @Override
    public Map<UUID, Long> claims() {
        Map<UUID, Long> versions = new HashMap<>();
        claims.versions().forEach((vm, version) -> versions.put(UUID.fromString(vm), version));
        return versions;
    }

    @Override
    public OptionalLong claim(UUID vm, long seen, String what, Instant at) {
        return claims.compareAndSet(vm.toString(), seen, new Claim(what, at, CONTROLLER));
    }

    @Override
    public synchronized OptionalLong claimAndSave(long seen, String what, MoveState move) {
        if (!move.status().open()) {
            throw new IllegalArgumentException(move.plan().describe() + " has ended: it is saved, not claimed");
        }
        String vm = move.plan().vm().toString();
        return claims.compareAndSet(vm, seen, new Claim(what, move.updatedAt(), CONTROLLER),
                List.of(open.write(vm, move)));
    }

    @Override
    public synchronized void begin(MoveState move) {
        String vm = move.plan().vm().toString();
        if (!open.create(vm, move)) {
            throw new MoveConflictException(open.get(vm).map(MoveState::holdReason)
                    .orElse("vm " + vm + " had a move open a moment ago"));
        }
    }

    @Override
    public synchronized void save(MoveState move) {
        if (move.status().open()) {
            open.put(move.plan().vm().toString(), move);
        } else {
            end(move);
        }
    }

    @Override
    public synchronized List<MoveState> open() {
        List<MoveState> moves = new ArrayList<>(open.all());
        moves.sort(Comparator.comparing(MoveState::startedAt));
        return moves;
    }

    @Override
    public synchronized boolean close(UUID vm) {
        Optional<MoveState> move = open.get(vm.toString());
        move.ifPresent(this::end);
        return move.isPresent();
    }

    /** Keeps MOVE as history, then forgets it as open: a crash between the two leaves it open, never lost. */
    private void end(MoveState move) {
        String vm = move.plan().vm().toString();
        ended.put(vm + "-" + STAMP.format(move.startedAt()), move);
        open.delete(vm);
    }
}
