package io.understudy.scheduler.cli;

import io.understudy.scheduler.config.ControllerConfig;
import io.understudy.scheduler.moves.BringBack;
import io.understudy.scheduler.moves.ForcedDownHosts;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code understudy bring-back HOST}: one pass of bringing back a host a failover forced down, by hand. */
@Command(name = "bring-back", description = "Bring back HOST, which a failover of this controller forced down, as "
        + "the serving controller does each round: once its agent answers and every evacuation away from it is "
        + "completed in Nova, lift its forced_down and make it a secondary of each VM evacuated away from it. "
        + "One pass; prints where it stands.",
        exitCodeList = {"0:back", "1:an internal fault", "2:bad arguments",
            "3:not forced down by a failover of ours, or a bad configuration", "4:Nova or Keystone could not be read",
            "5:not back yet (the line says why; run it again)"})
final class BringBackCommand implements Callable<Integer> {

    @Mixin
    ConfigOption config;

    @Parameters(index = "0", paramLabel = "HOST", description = "the compute host, as Nova names it")
    String host;

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        ControllerConfig c = config.load();
        // Judged with the serving controller's failure detection, as its rounds judge.
        ForcedDownHosts.Host h = ConfigOption.injector(c, ServingDetection.fetch(c))
                .getInstance(BringBack.class).host(host);
        spec.commandLine().getOut().println(BringBack.line(h));
        return h.state() == ForcedDownHosts.State.BACK ? Main.EXIT_OK : Main.EXIT_REFUSED;
    }
}
