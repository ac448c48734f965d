package io.understudy.scheduler.detect;

import static org.assertj.core.api.Assertions.assertThat;

import io.understudy.scheduler.bmc.PowerReading;
import io.understudy.scheduler.config.DetectionConfig;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * Detection as a pure function, without servers: probe cycles, Nova's listings and BMC readings
 * fed at chosen times. Nova's report interval is 10 s and the margin 2 s: a compute whose last
 * report is more than 12 s older than the others' (or than this controller's clock) is silent.
 */
class DetectorTest {

    private static final Instant T = Instant.parse("2026-11-29T09:00:00Z");
    private static final Optional<String> ANSWERED = Optional.empty();
    private static final Optional<String> REFUSED = Optional.of("connection refused");

    private Detector detector = new Detector(DetectionConfig.DEFAULT);
    private Detector.State state = Detector.State.INITIAL;

    private static Instant at(double seconds) {
        return T.plusMillis(Math.round(seconds * 1000));
    }

    private static DetectionConfig config(int missedProbes, Map<String, Duration> reportIntervals) {
        return new DetectionConfig(Duration.ofSeconds(1), Duration.ofMillis(500), missedProbes, Duration.ofSeconds(10),
                Duration.ofSeconds(2), Optional.empty(), Duration.ofSeconds(2), reportIntervals);
    }

    /** One probe cycle at AT: compute1 as given, compute2 always answers. */
    private HostStatus probe(double at, Optional<String> compute1) {
        state = detector.probed(state, Map.of("compute1", compute1, "compute2", ANSWERED), at(at));
        return state.statuses().get("compute1");
    }

    /** Nova read at READ (this controller's clock), compute1 last reporting at C1, compute2 at C2 (Nova's clock). */
    private HostStatus nova(double read, Instant c1, Instant c2) {
        Map<String, Optional<Instant>> reports = new HashMap<>();
        reports.put("compute1", Optional.ofNullable(c1));
        reports.put("compute2", Optional.of(c2));
        state = detector.novaRead(state, new NovaReports(at(read), reports), at(read));
        return state.statuses().get("compute1");
    }

    private HostStatus novaFine(double read) {
        return nova(read, at(read - 3), at(read - 1));
    }

    private HostStatus novaSilent(double read) {
        return nova(read, at(read - 13), at(read - 1));
    }

    private HostStatus power(double at, PowerReading.Power power, String detail) {
        state = detector.powerRead(state, "compute1", new PowerReading(power, detail), at(at));
        return state.statuses().get("compute1");
    }

    @Test
    void aHostFailsWhenItsAgentMissedThreeProbesAndItsComputeFellSilent() {
        novaFine(0);
        assertThat(probe(1, REFUSED).state()).isEqualTo(HostState.OK);
        assertThat(probe(2, REFUSED).state()).isEqualTo(HostState.OK);
        HostStatus three = probe(3, REFUSED);
        assertThat(three.state()).as("one channel alone").isEqualTo(HostState.SUSPECT);
        assertThat(three.reason()).isEqualTo(
                "agent missed 3 probes in a row (connection refused); nova-compute reported 3s ago");
        HostStatus failed = novaSilent(4);
        assertThat(failed.state()).isEqualTo(HostState.FAILED);
        assertThat(failed.reason()).isEqualTo("agent missed 3 probes in a row (connection refused); "
                + "nova-compute silent for 13s (report interval 10s + margin 2s)");
        assertThat(state.statuses().get("compute2").state()).isEqualTo(HostState.OK);
    }

    @Test
    void aSilentComputeWhoseAgentAnswersIsOnlySuspect() {
        probe(0, ANSWERED);
        HostStatus s = novaSilent(1);
        assertThat(s.state()).isEqualTo(HostState.SUSPECT);
        assertThat(s.reason()).isEqualTo("agent answers; nova-compute silent for 13s (report interval 10s + margin 2s)");
        assertThat(nova(2, null, at(1)).state()).as("never reported counts as silent").isEqualTo(HostState.SUSPECT);
        assertThat(state.statuses().get("compute1").reason()).contains("nova-compute never reported");
    }

    @Test
    void flappingProbesNeverMakeAFailure() {
        novaSilent(0);
        for (int i = 0; i < 30; i++) {
            // missed, missed, answered, ...: never three in a row.
            HostStatus s = probe(1 + i, i % 3 == 2 ? ANSWERED : REFUSED);
            novaSilent(1.5 + i);
            assertThat(s.state()).as("cycle %d", i).isEqualTo(HostState.SUSPECT);
        }
    }

    @Test
    void theNumberOfMissedProbesIsConfigurable() {
        detector = new Detector(config(5, Map.of()));
        novaSilent(0);
        for (int i = 1; i <= 4; i++) {
            assertThat(probe(i, REFUSED).state()).isEqualTo(HostState.SUSPECT);
        }
        assertThat(probe(5, REFUSED).state()).isEqualTo(HostState.FAILED);

        detector = new Detector(config(1, Map.of()));
        state = Detector.State.INITIAL;
        novaSilent(0);
        assertThat(probe(1, REFUSED).state()).isEqualTo(HostState.FAILED);
    }

    @Test
    void aHostsOwnReportIntervalSetsItsSilence() {
        detector = new Detector(config(3, Map.of("compute1", Duration.ofSeconds(30))));
        novaSilent(0);
        probe(1, REFUSED);
        probe(2, REFUSED);
        HostStatus s = probe(3, REFUSED);
        assertThat(s.state()).as("13 s is within 30 s + 2 s").isEqualTo(HostState.SUSPECT);
        assertThat(nova(4, at(-30), at(3)).state()).isEqualTo(HostState.FAILED);
        assertThat(state.statuses().get("compute1").reason()).contains("(report interval 30s + margin 2s)");
    }

    @Test
    void aBmcThatReportsThePowerOffOrCannotBeReachedAgreesOnItsOwn() {
        novaFine(0);
        probe(1, REFUSED);
        probe(2, REFUSED);
        probe(3, REFUSED);
        HostStatus on = power(3.2, PowerReading.Power.ON, "");
        assertThat(on.state()).isEqualTo(HostState.SUSPECT);
        assertThat(on.reason()).endsWith("; BMC reports power on");
        assertThat(power(3.3, PowerReading.Power.UNKNOWN, "HTTP 401").state()).isEqualTo(HostState.SUSPECT);
        HostStatus off = power(3.5, PowerReading.Power.OFF, "PowerState Off");
        assertThat(off.state()).isEqualTo(HostState.FAILED);
        assertThat(off.reason()).isEqualTo("agent missed 3 probes in a row (connection refused); "
                + "nova-compute reported 3s ago; BMC reports power off (PowerState Off)");

        state = Detector.State.INITIAL;
        novaFine(0);
        probe(1, REFUSED);
        power(1.5, PowerReading.Power.UNREACHABLE, "timed out");
        probe(2, REFUSED);
        assertThat(probe(3, REFUSED).state()).as("a reading lasts as long as the silence").isEqualTo(HostState.FAILED);
    }

    @Test
    void aBmcReadingCountsOnlyForTheSilenceItWasTakenIn() {
        novaFine(0);
        probe(1, ANSWERED);
        assertThat(power(1.5, PowerReading.Power.OFF, "").state()).as("taken while the agent answers")
                .isEqualTo(HostState.OK);
        probe(2, REFUSED);
        power(2.5, PowerReading.Power.OFF, "");
        probe(3, ANSWERED);
        probe(4, REFUSED);
        probe(5, REFUSED);
        assertThat(probe(6, REFUSED).state()).as("the agent answered since").isEqualTo(HostState.SUSPECT);
    }

    @Test
    void aHostThatComesBackDuringItsFencingStaysFailedUntilItAnswersThreeProbesInARow() {
        novaSilent(0);
        probe(1, REFUSED);
        probe(2, REFUSED);
        assertThat(probe(3, REFUSED).state()).isEqualTo(HostState.FAILED);
        // Fencing under way: the host answers once, falls silent, answers again.
        HostStatus once = probe(4, ANSWERED);
        assertThat(once.state()).isEqualTo(HostState.FAILED);
        assertThat(once.reason()).endsWith("; failed until its agent answers 3 probes in a row (1 so far)");
        assertThat(probe(5, REFUSED).state()).isEqualTo(HostState.FAILED);
        probe(6, ANSWERED);
        novaSilent(6.5);
        assertThat(probe(7, ANSWERED).state()).isEqualTo(HostState.FAILED);
        HostStatus back = probe(8, ANSWERED);
        assertThat(back.state()).as("back, its compute still silent (forced down, fenced)").isEqualTo(HostState.SUSPECT);
        assertThat(novaFine(9).state()).isEqualTo(HostState.OK);
        assertThat(state.statuses().get("compute1").reason()).isEqualTo("agent answers; nova-compute reported 3s ago");
    }

    @Test
    void novaIsDueTheMomentASilentAgentsComputeWouldPassItsLimit() {
        assertThat(detector.novaDue(state, at(0))).as("nothing missing, nothing due").isEmpty();
        probe(0, REFUSED);
        assertThat(detector.novaDue(state, at(0))).as("Nova never read").contains(at(0));

        novaFine(1);
        // compute1 reported at -2; silent past 10 s + 2 s margin.
        assertThat(detector.novaDue(state, at(1))).contains(at(10.001));
        probe(11, REFUSED);
        assertThat(detector.novaDue(state, at(11))).as("due and passed: read now").contains(at(11));

        probe(12, ANSWERED);
        assertThat(detector.novaDue(state, at(12))).as("its agent answers again").isEmpty();
    }

    @Test
    void novaIsDueEarlierByAsMuchAsItsClockRunsAhead() {
        probe(0, REFUSED);
        // Nova's clock 2 s ahead of this one: its freshest report (compute2's) is 2 s in this clock's future.
        nova(1, at(1), at(3));
        assertThat(detector.novaDue(state, at(1))).contains(at(11.001));
    }

    @Test
    void novaIsNotDueForAFailedHostNorForOneWithoutAReport() {
        probe(1, REFUSED);
        probe(2, REFUSED);
        probe(3, REFUSED);
        assertThat(novaSilent(4).state()).isEqualTo(HostState.FAILED);
        assertThat(detector.novaDue(state, at(4))).isEmpty();

        state = Detector.State.INITIAL;
        probe(5, REFUSED);
        nova(5, null, at(4));
        assertThat(detector.novaDue(state, at(5))).isEmpty();
    }

    @Test
    void thisControllersClockJumpingAheadConfirmsNothing() {
        probe(1, REFUSED);
        probe(2, REFUSED);
        probe(3, REFUSED);
        // Read an hour later by this clock: every report, compute2's too, looks an hour old.
        HostStatus s = nova(3600, at(-13), at(-1));
        assertThat(s.state()).isEqualTo(HostState.SUSPECT);
        assertThat(s.reason()).contains("no nova-compute reported within 12s by this controller's clock");
        assertThat(state.statuses().get("compute2").state()).as("an answering agent, its reports unjudged")
                .isEqualTo(HostState.OK);
    }

    @Test
    void thisControllersClockJumpingBackStillSeesAComputeFallSilentAmongTheOthers() {
        probe(1, REFUSED);
        probe(2, REFUSED);
        probe(3, REFUSED);
        // Read an hour earlier by this clock than Nova's: reports seem to come from the future.
        Instant novaNow = at(3);
        Map<String, Optional<Instant>> reports = Map.of("compute1", Optional.of(novaNow.minusSeconds(14)),
                "compute2", Optional.of(novaNow.minusSeconds(1)));
        state = detector.novaRead(state, new NovaReports(at(3 - 3600), reports), at(3 - 3600));
        HostStatus s = state.statuses().get("compute1");
        assertThat(s.state()).isEqualTo(HostState.FAILED);
        assertThat(s.reason()).contains("nova-compute silent for 13s");
        // Judged later at a time before that read (the clock stepped back again): not confirmed.
        state = detector.probed(state, Map.of("compute1", REFUSED, "compute2", ANSWERED), at(3 - 7200));
        assertThat(state.statuses().get("compute1").reason()).contains("the clock went back since Nova was last read");
        assertThat(state.statuses().get("compute1").state()).as("failed until its agent answers").isEqualTo(HostState.FAILED);
    }

    @Test
    void anOldOrFailedNovaReadConfirmsNothing() {
        novaSilent(0);
        probe(1, REFUSED);
        probe(2, REFUSED);
        HostStatus old = probe(13, REFUSED);
        assertThat(old.state()).as("the last read is 13 s old").isEqualTo(HostState.SUSPECT);
        assertThat(old.reason()).contains("Nova last read 13s ago");

        state = detector.novaFailed(state, "GET /os-services?binary=nova-compute: HTTP 503", at(14));
        HostStatus failed = state.statuses().get("compute1");
        assertThat(failed.state()).isEqualTo(HostState.SUSPECT);
        assertThat(failed.reason()).contains("Nova unreadable: GET /os-services?binary=nova-compute: HTTP 503");
        assertThat(novaSilent(15).state()).isEqualTo(HostState.FAILED);
    }

    @Test
    void aHostWithoutAServiceRecordIsSuspectUnlessItsBmcAgrees() {
        state = detector.novaRead(state, new NovaReports(at(0), Map.of("compute2", Optional.of(at(-1)))), at(0));
        probe(1, REFUSED);
        probe(2, REFUSED);
        HostStatus s = probe(3, REFUSED);
        assertThat(s.state()).isEqualTo(HostState.SUSPECT);
        assertThat(s.reason()).isEqualTo("agent missed 3 probes in a row (connection refused); no nova-compute service record");
        assertThat(power(3.5, PowerReading.Power.OFF, "").state()).isEqualTo(HostState.FAILED);
    }

    @Test
    void beforeNovaIsReadOnlyTheBmcCanAgree() {
        probe(1, REFUSED);
        probe(2, REFUSED);
        HostStatus s = probe(3, REFUSED);
        assertThat(s.state()).isEqualTo(HostState.SUSPECT);
        assertThat(s.reason()).endsWith("; Nova not read yet");
    }

    @Test
    void aHostNoLongerProbedIsForgotten() {
        probe(1, REFUSED);
        state = detector.probed(state, Map.of("compute2", ANSWERED), at(2));
        assertThat(state.statuses()).containsOnlyKeys("compute2");
        assertThat(state.hosts()).containsOnlyKeys("compute2");
        power(3, PowerReading.Power.OFF, "");
        assertThat(state.statuses()).containsOnlyKeys("compute2");
    }
}
