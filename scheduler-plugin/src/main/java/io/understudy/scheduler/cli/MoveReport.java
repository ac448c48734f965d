package io.understudy.scheduler.cli;

import com.google.inject.Injector;
import io.understudy.scheduler.moves.ManualMoves;
import io.understudy.scheduler.moves.MoveState;
import io.understudy.scheduler.moves.StepRecord;
import io.understudy.scheduler.round.RulesSource;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.function.BiFunction;
import picocli.CommandLine.Model.CommandSpec;

/**
 * What migrate and failover share: the move run with the rules' replication interval, a line per
 * step, the summary, and an exit code by how it ended.
 */
final class MoveReport {

    private MoveReport() {
    }

    static int run(Injector injector, BiFunction<ManualMoves, Duration, MoveState> move, CommandSpec spec) {
        Duration interval = injector.getInstance(RulesSource.class).current().policy().replicationInterval();
        return print(move.apply(injector.getInstance(ManualMoves.class), interval), spec.commandLine().getOut(),
                spec.commandLine().getErr());
    }

    private static int print(MoveState move, PrintWriter out, PrintWriter err) {
        for (StepRecord step : move.steps()) {
            out.println("  " + step.step() + ": " + step.result() + " in " + step.tookMillis() + " ms: " + step.note()
                    + (step.requestIds().isEmpty() ? "" : " " + step.requestIds()));
        }
        out.println(move.summary());
        return switch (move.status()) {
            case DONE -> Main.EXIT_OK;
            case STOPPED -> {
                err.println("understudy: " + move.plan().describe() + " refused: " + move.lastNote());
                yield Main.EXIT_REFUSED;
            }
            case NEEDS_OPERATOR -> {
                err.println("understudy: " + move.plan().describe() + " needs an operator: " + move.lastNote());
                yield Main.EXIT_MOVE_FAILED;
            }
            case IN_FLIGHT -> {
                err.println("understudy: " + move.plan().describe() + " is still in flight in Nova ("
                        + move.lastNote() + "); the controller follows it from the journal");
                yield Main.EXIT_MOVE_FAILED;
            }
        };
    }
}
