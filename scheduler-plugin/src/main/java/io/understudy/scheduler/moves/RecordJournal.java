package io.understudy.scheduler.moves;

import io.understudy.scheduler.history.JsonLinesHistory;
import io.understudy.scheduler.records.RecordSet;
import io.understudy.scheduler.records.Records;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * The journal as records: an open move is the record {@code moves/VM}, rewritten whole at each
 * step; an ended one becomes {@code moves/ended/VM-START}. Creating the open record is the claim
 * on the VM: it fails when another controller or the command line holds an open move of it.
 */
public final class RecordJournal implements Journal {

    static final String OPEN = "moves";
    static final String ENDED = "moves/ended";
    private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss.SSS'Z'")
            .withZone(ZoneOffset.UTC);

    private final RecordSet<MoveState> open;
    private final RecordSet<MoveState> ended;

    public RecordJournal(Records records) {
        this.open = new RecordSet<>(records, OPEN, JsonLinesHistory.mapper(), MoveState.class);
        this.ended = new RecordSet<>(records, ENDED, JsonLinesHistory.mapper(), MoveState.class);
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
