package io.understudy.scheduler.testing;

import io.understudy.scheduler.decide.Decision;
import io.understudy.scheduler.round.MoveExecutor;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;

/** A move executor that only records the decisions it is given: for tests of rounds, not of moves. */
public final class RecordingMoves implements MoveExecutor {

    public static final String NOTE = "recorded only, not executed";

    private final List<Decision> executed = new CopyOnWriteArrayList<>();

    @Override
    public Map<UUID, String> held() {
        return Map.of();
    }

    @Override
    public List<String> settle() {
        return List.of();
    }

    @Override
    public List<Execution> execute(List<Decision> moves) {
        executed.addAll(moves);
        return moves.stream().map(d -> new Execution(d.vm(), Optional.empty(), NOTE)).toList();
    }

    public List<Decision> executed() {
        return List.copyOf(executed);
    }
}
